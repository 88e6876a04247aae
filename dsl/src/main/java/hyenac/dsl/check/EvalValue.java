package hyenac.dsl.check;

import hyenac.dsl.source.Span;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** What expressions evaluate to while a model is checked and elaborated (a graph's SSA value is {@code hyenac.ir.Value}). */
public sealed interface EvalValue {
    Type type();

    /** How a value reads in a message or in explain output. */
    String show();

    record Int(long value) implements EvalValue {
        public Type type() { return Type.INT; }
        public String show() { return Long.toString(value); }
    }

    record Float(double value) implements EvalValue {
        public Type type() { return Type.FLOAT; }
        public String show() {
            if (value == Math.rint(value) && Math.abs(value) < 1e15) return String.format("%.1f", value);
            return Double.toString(value);
        }
    }

    record Bool(boolean value) implements EvalValue {
        public Type type() { return Type.BOOL; }
        public String show() { return Boolean.toString(value); }
    }

    record Str(String value) implements EvalValue {
        public Type type() { return Type.STRING; }
        public String show() { return '"' + value + '"'; }
    }

    record Enum(Type type, String name) implements EvalValue {
        public String show() { return name; }
    }

    record ListV(List<EvalValue> items) implements EvalValue {
        public ListV { items = List.copyOf(items); }
        public Type type() { return Type.LIST; }
        public String show() { return items.stream().map(EvalValue::show).collect(Collectors.joining(", ", "[", "]")); }
    }

    /** An argument as given: its value and where it was written (null span for defaults). */
    record Arg(EvalValue value, Span span) {}

    /** A configured operator: a template with (some of) its arguments. Weights come when it is applied. */
    record Op(Template template, Map<String, Arg> args, Span span) implements EvalValue {
        public Op { args = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(args)); }
        public Type type() { return Type.OP; }

        public Op with(String name, Arg arg) {
            Map<String, Arg> more = new LinkedHashMap<>(args);
            more.put(name, arg);
            return new Op(template, more, span);
        }

        public String show() {
            if (args.isEmpty()) return template.name();
            return template.name() + args.entrySet().stream()
                    .map(e -> e.getKey() + " = " + e.getValue().value().show())
                    .collect(Collectors.joining(", ", "(", ")"));
        }
    }

    /** A tensor [B, L, width]; width is -1 when it depends on values not known (library checks). */
    record Tensor(int id, long width) implements EvalValue {
        public Type type() { return Type.TENSOR; }
        public String show() { return width < 0 ? "tensor[B, L, ?]" : "tensor[B, L, " + width + "]"; }
    }

    /** The several results of an operator like {@code deinterleave}. */
    record Tuple(List<EvalValue> items) implements EvalValue {
        public Tuple { items = List.copyOf(items); }
        public Type type() { return Type.LIST; }
        public String show() { return items.size() + " values"; }
    }

    /**
     * A value not known: an error already reported, or an argument of an operator checked on its own.
     * Everything computed from it is unknown too, so one mistake gives one diagnostic.
     */
    record Unknown(Type type) implements EvalValue {
        public static final Unknown ANY = new Unknown(null);
        public String show() { return "?"; }
    }
}
