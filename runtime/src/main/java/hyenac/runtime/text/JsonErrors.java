package hyenac.runtime.text;

/**
 * What to tell a user about JSON that Gson could not read. Gson's message carries the line, column and JSON path,
 * which is what a user needs; the class names of its exceptions, its advice to parse leniently and its link to a
 * troubleshooting page are not for our users, so they are dropped.
 */
public final class JsonErrors {
    private JsonErrors() {}

    public static String reason(Exception e) {
        String m = String.valueOf(e.getMessage());
        int see = m.indexOf("\nSee ");
        if (see >= 0) m = m.substring(0, see);
        m = m.replaceFirst("^(?:[a-z]+\\.)+[A-Z][A-Za-z]*(?:Exception|Error): ", "");
        m = m.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "malformed JSON");
        if (e instanceof IllegalStateException && m.startsWith("Not a JSON ")) m = "not a JSON " + m.substring("Not a JSON ".length()).toLowerCase();
        return m;
    }
}
