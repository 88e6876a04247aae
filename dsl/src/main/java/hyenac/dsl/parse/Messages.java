package hyenac.dsl.parse;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.antlr.v4.runtime.Token;

/** Turns ANTLR's recognizer messages into ones that speak the language's terms. */
final class Messages {
    private Messages() {}

    private static final Pattern EXPECTING = Pattern.compile("(?:mismatched|extraneous) input (.+?) expecting (.+)");
    private static final Pattern MISSING = Pattern.compile("missing (.+?) at (.+)");
    private static final Pattern NO_ALT = Pattern.compile("no viable alternative at input (.+)");

    static String friendly(String msg, Token offending) {
        Matcher m = EXPECTING.matcher(msg);
        if (m.matches()) return "unexpected " + token(m.group(1)) + ", expected " + expected(m.group(2));
        m = MISSING.matcher(msg);
        if (m.matches()) return "missing " + expected(m.group(1)) + " before " + token(m.group(2));
        // ANTLR quotes the whole input from the rule's start; the token it stopped at is the one to name.
        if (NO_ALT.matcher(msg).matches() && offending != null) {
            return "cannot make sense of " + (offending.getType() == Token.EOF ? "end of file" : token("'" + offending.getText() + "'")) + " here";
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

    /** One element of ANTLR's token set: a quoted literal (`','` is one), `<EOF>` or a token name. */
    private static final Pattern ELEMENT = Pattern.compile("'(?:[^'\\\\]|\\\\.)*'|<[A-Z]+>|[A-Za-z_0-9]+");

    /** Names the tokens of an ANTLR set such as {@code {',', '=', IDENT}}; never an empty one. */
    static String expected(String set) {
        List<String> names = new ArrayList<>();
        Matcher m = ELEMENT.matcher(set);
        while (m.find()) names.add(name(m.group()));
        StringBuilder b = new StringBuilder();
        for (int n = 0; n < names.size(); n++) {
            if (n == 6) { b.append(", …"); break; }
            if (n > 0) b.append(n == names.size() - 1 ? " or " : ", ");
            b.append(names.get(n));
        }
        return b.toString();
    }

    private static String name(String element) {
        if (element.length() > 2 && element.startsWith("'") && element.endsWith("'")) {
            return "`" + element.substring(1, element.length() - 1).replaceAll("\\\\(.)", "$1") + "`";
        }
        return switch (element) {
            case "IDENT" -> "a name";
            case "NUMBER" -> "a number";
            case "STRING", "UNTERMINATED_STRING" -> "a string";
            case "<EOF>" -> "end of file";
            // Not expected by any rule today; a readable kind all the same, never a bare token name.
            default -> "a " + element.toLowerCase(Locale.ROOT).replace('_', ' ') + " token";
        };
    }
}
