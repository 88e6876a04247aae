package hyenac.compiler.commands;

/**
 * A subcommand contributed by a module the command line does not depend on by name (conformance, bench, the
 * language server). Implementations are picocli {@code @Command} classes listed in
 * {@code META-INF/services/hyenac.compiler.commands.ExtraCommand}; {@code hyenac.cli.Main} (the app module) adds
 * whatever is on the class path. It lives here, below app, because those modules cannot depend on app.
 */
public interface ExtraCommand {}
