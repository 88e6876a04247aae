package hyenac.dsl.diag;

import java.util.Locale;

/**
 * The registry of diagnostic codes. Codes are stable API (tests, JSON output, the LSP and users'
 * searches depend on them): never renumber, only add. Messages are {@link String#format} patterns
 * over the diagnostic's arguments.
 */
public enum Code {
    // 00xx: lexing and syntax
    HY0001(Severity.ERROR, "unexpected character%s %s"),
    HY0002(Severity.ERROR, "syntax error: %s"),
    HY0003(Severity.ERROR, "unterminated %s"),
    HY0004(Severity.ERROR, "number %s is out of range: %s"),
    HY0005(Severity.ERROR, "nesting deeper than %s levels"),
    HY0006(Severity.ERROR, "file is too large: %s bytes (limit %s)"),
    HY0007(Severity.ERROR, "malformed number %s"),

    // 01xx: files and imports
    HY0100(Severity.ERROR, "cannot find import \"%s\""),
    HY0101(Severity.ERROR, "import cycle: %s"),
    HY0102(Severity.ERROR, "cannot read %s: %s"),
    HY0103(Severity.WARNING, "\"%s\" is imported more than once"),
    HY0104(Severity.ERROR, "%s is not valid UTF-8 text"),

    // 02xx: names and arguments
    HY0200(Severity.ERROR, "unknown name `%s`"),
    HY0201(Severity.ERROR, "`%s` is already defined"),
    HY0202(Severity.ERROR, "unknown operator `%s`"),
    HY0203(Severity.ERROR, "`%s` has no parameter `%s`"),
    HY0204(Severity.ERROR, "missing argument `%s` of `%s`"),
    HY0205(Severity.ERROR, "argument `%s` is given more than once"),
    HY0206(Severity.ERROR, "`%s` takes %s input%s, got %s"),
    HY0207(Severity.ERROR, "`%s` owns weights and must be bound to a name"),
    HY0208(Severity.WARNING, "`%s` is never used"),
    HY0209(Severity.ERROR, "`%s` is a model property and cannot be redefined"),
    HY0210(Severity.ERROR, "positional argument after named arguments in a call to `%s`"),
    HY0211(Severity.ERROR, "`%s` configures an operator and takes no tensor inputs here"),
    HY0212(Severity.ERROR, "`%s` is not an operator and cannot be called"),
    HY0213(Severity.ERROR, "`%s` is already configured; call it with its inputs only"),
    HY0214(Severity.ERROR, "`%s` is applied to tensors outside an operator body"),

    // 03xx: types, values and shapes
    HY0300(Severity.ERROR, "expected %s, found %s"),
    HY0301(Severity.ERROR, "%s must be %s, got %s"),
    HY0302(Severity.ERROR, "%s is not divisible by %s"),
    HY0303(Severity.ERROR, "division by zero"),
    HY0304(Severity.ERROR, "tensor widths differ: %s and %s"),
    HY0305(Severity.ERROR, "cannot unpack %s value%s into %s name%s"),
    HY0306(Severity.ERROR, "unknown type `%s`"),
    HY0307(Severity.ERROR, "%s channels are not divisible into %s groups"),
    HY0308(Severity.WARNING, "groups of %s channels in `%s`: the blocked tensor-core convolution needs at least 16; it will run slower"),
    HY0309(Severity.ERROR, "integer overflow in %s"),
    HY0310(Severity.ERROR, "operator `%s` has no `out` statement"),
    HY0311(Severity.ERROR, "operator `%s` uses itself: %s"),
    HY0312(Severity.ERROR, "`%s` is applied to inputs of different widths: %s and %s"),
    HY0313(Severity.ERROR, "operator `%s` has more than one `out` statement"),
    HY0314(Severity.ERROR, "a list of %s elements is too long (limit %s)"),
    HY0315(Severity.ERROR, "`%s` cannot be assigned here"),
    HY0316(Severity.WARNING, "`%s` has no effect: statement after `out`"),
    HY0317(Severity.ERROR, "more than %s operator applications in one check, while expanding `%s`"),
    HY0318(Severity.ERROR, "weight `%s` has %s elements (shape %s), more than the %s one weight can hold"),

    // 04xx: models, stripes and overrides
    HY0401(Severity.ERROR, "model `%s` does not set %s"),
    HY0402(Severity.ERROR, "model `%s` has no property `%s`"),
    HY0403(Severity.ERROR, "layer index %s is out of range: the model has %s layers"),
    HY0404(Severity.ERROR, "`%s` is not a parameter of `%s`"),
    HY0405(Severity.ERROR, "the stripe of model `%s` is empty"),
    HY0406(Severity.ERROR, "a list can only be repeated a non-negative integer number of times, got %s"),
    HY0407(Severity.ERROR, "`%s` is set more than once"),
    HY0408(Severity.ERROR, "block `%s` must take a parameter `mixer: op`"),
    HY0409(Severity.WARNING, "vocab %s cannot hold the byte tokenizer's token ids 0 to %s: `run` and generation need vocab >= %s"),

    // 05xx: importing vortex YAML configs
    HY0500(Severity.WARNING, "unknown config key `%s`; it is ignored"),
    HY0501(Severity.ERROR, "config is missing the key `%s`"),
    HY0502(Severity.ERROR, "invalid YAML: %s"),
    HY0503(Severity.ERROR, "layer %s %s"),
    HY0504(Severity.WARNING, "`%s: %s` is not supported; %s"),
    HY0505(Severity.ERROR, "`%s` must be %s, got %s");

    private final Severity severity;
    private final String pattern;

    Code(Severity severity, String pattern) {
        this.severity = severity;
        this.pattern = pattern;
    }

    public Severity defaultSeverity() { return severity; }

    public String format(Object... args) {
        try {
            return String.format(Locale.ROOT, pattern, args);
        } catch (java.util.IllegalFormatException e) {
            throw new IllegalArgumentException(name() + " takes other arguments: " + java.util.Arrays.toString(args), e);
        }
    }
}
