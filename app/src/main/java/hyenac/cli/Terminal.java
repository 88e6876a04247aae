package hyenac.cli;

/**
 * Whether stdout and stderr are terminals: the launcher says so (-Dhyenac.stdout.tty, -Dhyenac.stderr.tty, from
 * the shell's {@code [ -t 1 ]}); a jar run with {@code java -jar} falls back to the JDK's console, which knows stdin
 * and stdout only. Progress is drawn only on a terminal, so logs and pipes stay clean.
 */
final class Terminal {
    private Terminal() {}

    static boolean stdout() { return flag("hyenac.stdout.tty"); }

    static boolean stderr() { return flag("hyenac.stderr.tty"); }

    private static boolean flag(String property) {
        String said = System.getProperty(property);
        if (said != null) return Boolean.parseBoolean(said);
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }
}
