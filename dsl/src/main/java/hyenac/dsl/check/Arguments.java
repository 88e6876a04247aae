package hyenac.dsl.check;

import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.source.Span;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Checks arguments against a template's parameters: names, the required ones, and types (ints widen to floats). */
final class Arguments {
    private final Reporter reporter;

    Arguments(Reporter reporter) {
        this.reporter = reporter;
    }

    /** The operator {@code t} configured with the named arguments; a missing one becomes unknown after a report. */
    EvalValue.Op configure(Template t, Map<String, EvalValue.Arg> named, Map<String, Span> namedAt, Span call) {
        Map<String, EvalValue.Arg> args = new LinkedHashMap<>();
        Set<String> suggested = new HashSet<>();
        for (var e : named.entrySet()) {
            var spec = t.param(e.getKey());
            if (spec.isEmpty()) {
                Span at = namedAt.get(e.getKey());
                Diagnostic d = Diagnostic.of(Code.HY0203, at, t.name(), e.getKey());
                var guess = Suggest.closest(e.getKey(), t.params().stream().map(ParamSpec::name).toList());
                guess.ifPresent(suggested::add); // a misspelt argument is not also a missing one
                d = guess.isPresent() ? Suggest.fix(d, at, guess.get())
                        : d.withNote(t.params().isEmpty() ? "`" + t.name() + "` takes no arguments" : "its parameters: " + t.signature());
                reporter.report(d);
                continue;
            }
            args.put(e.getKey(), new EvalValue.Arg(coerce(e.getValue().value(), spec.get(), e.getValue().span(), t), e.getValue().span()));
        }
        for (ParamSpec p : t.params()) {
            if (p.required() && !args.containsKey(p.name())) {
                if (!suggested.contains(p.name())) reporter.report(Diagnostic.of(Code.HY0204, call, p.name(), t.name()).withNote("signature: " + t.signature()));
                args.put(p.name(), new EvalValue.Arg(new EvalValue.Unknown(p.type()), null));
            }
        }
        return new EvalValue.Op(t, args, call);
    }

    /** The value as the parameter's type wants it (ints widen to floats), or Unknown after a report. */
    EvalValue coerce(EvalValue v, ParamSpec p, Span at, Template owner) {
        if (p.type() == null || v instanceof EvalValue.Unknown) return v;
        boolean ok = switch (p.type()) {
            case INT -> v instanceof EvalValue.Int;
            case FLOAT -> v instanceof EvalValue.Float || v instanceof EvalValue.Int;
            case BOOL -> v instanceof EvalValue.Bool;
            case OP -> v instanceof EvalValue.Op;
            case DTYPE, TAPS -> v instanceof EvalValue.Enum e && e.type() == p.type();
            default -> false;
        };
        if (!ok) {
            String want = p.type().constants.isEmpty() ? p.type().spelling : p.type().spelling + " (" + String.join(", ", p.type().constants) + ")";
            Diagnostic d = Diagnostic.of(Code.HY0300, at == null ? owner.span() : at, want, Reporter.describe(v))
                    .withNote("for parameter `" + p.name() + "` of `" + owner.name() + "`");
            if (p.type() == Type.INT && v instanceof EvalValue.Float f && f.value() == Math.rint(f.value()) && Math.abs(f.value()) < 1e15 && at != null) {
                d = d.withFix("write it as an integer", at, Long.toString((long) f.value()));
            }
            reporter.report(d);
            return new EvalValue.Unknown(p.type());
        }
        if (p.type() == Type.FLOAT && v instanceof EvalValue.Int i) return new EvalValue.Float(i.value());
        return v;
    }
}
