package hyenac.dsl;

import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Inline expectations written in test inputs: {@code // expect-error@+1 HY0200} says the next line
 * has that error; without {@code @} the comment's own line; {@code #} comments work the same (YAML).
 */
public final class Expectations {
    private Expectations() {}

    public record Expected(String file, int line, String severity, Code code) {
        @Override public String toString() { return file + ":" + line + ": " + severity + "[" + code + "]"; }
    }

    private static final Pattern EXPECT = Pattern.compile("(?://|#)\\s*expect-(error|warning|note)(?:@([+-]\\d+))?((?:\\s+HY\\d{4})+)");

    public static List<Expected> parse(String file, String text) {
        List<Expected> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = EXPECT.matcher(lines[i]);
            while (m.find()) {
                int line = i + 1 + (m.group(2) == null ? 0 : Integer.parseInt(m.group(2)));
                for (String code : m.group(3).trim().split("\\s+")) out.add(new Expected(file, line, m.group(1), Code.valueOf(code)));
            }
        }
        return out;
    }

    public static Expected actual(Diagnostic d) {
        return new Expected(d.span().file().name(), d.span().line(), d.severity().label(), d.code());
    }
}
