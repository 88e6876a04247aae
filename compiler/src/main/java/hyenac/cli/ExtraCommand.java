package hyenac.cli;

/**
 * A subcommand contributed by a module the compiler does not depend on (the language server, later
 * the backends). Implementations are picocli {@code @Command} classes listed in
 * {@code META-INF/services/hyenac.cli.ExtraCommand}; {@link Main} adds whatever is on the class path.
 */
public interface ExtraCommand {}
