package hyenac.dsl.parse;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns ANTLR's recognizer messages into ones that speak the language's terms. */
final class Messages {
    private Messages() {}

    private static final Pattern EXPECTING = Pattern.compile("(?:mismatched|extraneous) input (.+?) expecting (.+)");
    private static final Pattern MISSING = Pattern.compile("missing (.+?) at (.+)");
    private static final Pattern NO_ALT = Pattern.compile("no viable alternative at input (.+)");

    static String friendly(String msg) {
        Matcher m = EXPECTING.matcher(msg);
        if (m.matches()) return "unexpected " + token(m.group(1)) + ", expected " + expected(m.group(2));
        m = MISSING.matcher(msg);
        if (m.matches()) return "missing " + expected(m.group(1)) + " before " + token(m.group(2));
        m = NO_ALT.matcher(msg);
        if (m.matches()) {
            String input = m.group(1);
            String[] words = input.replace("'", "").trim().split("\\s+");
            return "cannot make sense of " + token("'" + words[words.length - 1] + "'") + " here";
        }
        if (msg.startsWith("token recognition error")) return "unexpected character";
        return msg;
    }

    private static String token(String quoted) {
        if (quoted.equals("'<EOF>'") || quoted.equals("<EOF>")) return "end of file";
        String t = quoted.startsWith("'") && quoted.endsWith("'") && quoted.length() >= 2
                ? quoted.substring(1, quoted.length() - 1) : quoted;
        t = t.replace("\n", "\\n");
        if (t.length() > 40) t = t.substring(0, 40) + "…";
        return "`" + t + "`";
    }

    private static String expected(String set) {
        String s = set.trim();
        if (s.startsWith("{") && s.endsWith("}")) s = s.substring(1, s.length() - 1);
        String[] parts = s.split(",\\s*");
        StringBuilder b = new StringBuilder();
        int n = 0;
        for (String p : parts) {
            String name = switch (p.trim()) {
                case "IDENT" -> "a name";
                case "NUMBER" -> "a number";
                case "STRING" -> "a string";
                case "<EOF>" -> "end of file";
                default -> "`" + p.trim().replace("'", "") + "`";
            };
            if (n > 0) b.append(n == parts.length - 1 ? " or " : ", ");
            b.append(name);
            if (++n == 6 && parts.length > 6) { b.append(", …"); break; }
        }
        return b.toString();
    }
}
