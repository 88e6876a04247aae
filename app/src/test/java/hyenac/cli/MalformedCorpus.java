package hyenac.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The inputs of {@link MalformedCorpusTest}: the hand-written files of {@code src/test/resources/corpus},
 * and inputs generated from the samples (truncations, inserted garbage, non-ASCII names, targeted
 * mutations) or from scratch (deep nesting, huge expressions and files, pathological operator graphs).
 */
final class MalformedCorpus {
    private MalformedCorpus() {}

    /** A diagnostic a case must produce: {@code code} in {@code file}, at {@code line} (0: anywhere). */
    record Expect(String file, int line, String code) {}

    /**
     * One input: the FILE arguments of {@code hyenac check}. {@code mayBeValid} marks generated inputs
     * that can happen to be valid (a truncation at a statement boundary); those are dropped when
     * {@code check} accepts them. Every other case must be rejected.
     */
    record Case(String name, List<String> files, boolean mayBeValid, List<Expect> expected) {
        List<String> args(boolean json) {
            List<String> args = new ArrayList<>();
            args.add("check");
            if (json) args.add("--diagnostics=json");
            args.addAll(files);
            return args;
        }
    }

    static List<Case> all(Path root, Path scratch) throws IOException {
        List<Case> cases = new ArrayList<>();
        cases.addAll(handWritten(root.resolve("app/src/test/resources/corpus")));
        cases.addAll(commandLine(root, scratch));
        Files.createDirectories(scratch.resolve("samples"));
        try (Stream<Path> samples = Files.list(root.resolve("samples"))) {
            for (Path s : samples.filter(p -> p.toString().endsWith(".hyena")).sorted().toList()) {
                String text = Files.readString(s);
                String name = s.getFileName().toString().replace(".hyena", "");
                Path dir = Files.createDirectories(scratch.resolve("samples").resolve(name));
                cases.addAll(truncations(name, text, dir));
                cases.addAll(garbage(name, text, dir));
                cases.addAll(mutations(name, text, dir, "nonascii", NON_ASCII));
                cases.addAll(mutations(name, text, dir, "mutation", MUTATIONS));
            }
        }
        cases.addAll(pathological(Files.createDirectories(scratch.resolve("huge"))));
        return cases;
    }

    // ------------------------------------------------------------------ hand-written

    private static final Pattern EXPECT = Pattern.compile("//\\s*expect-error(?:@([+-]\\d+|\\*))?((?:\\s+HY\\d{4})+)");
    private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+\"([^\"]*)\"", Pattern.MULTILINE);

    /**
     * Every top-level .hyena file. {@code // expect-error@+1 HY0303} lines, in it or in the partners it
     * imports, name diagnostics it must produce (at least those; {@code @*}: anywhere in that file).
     */
    private static List<Case> handWritten(Path dir) throws IOException {
        List<Case> cases = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".hyena") && Files.isRegularFile(p)).sorted().toList()) {
                List<Expect> expected = new ArrayList<>(expectations(f));
                Matcher m = IMPORT.matcher(Files.readString(f, StandardCharsets.ISO_8859_1));
                while (m.find()) {
                    Path partner = f.resolveSibling(m.group(1)).normalize();
                    if (partner.startsWith(dir.resolve("imports")) && Files.isRegularFile(partner)) expected.addAll(expectations(partner));
                }
                cases.add(new Case("corpus/" + f.getFileName(), List.of(f.toString()), false, expected));
            }
        }
        return cases;
    }

    private static List<Expect> expectations(Path f) throws IOException {
        List<Expect> out = new ArrayList<>();
        String[] lines = Files.readString(f, StandardCharsets.ISO_8859_1).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = EXPECT.matcher(lines[i]);
            if (!m.find()) continue;
            int line = m.group(1) == null ? i + 1 : m.group(1).equals("*") ? 0 : i + 1 + Integer.parseInt(m.group(1));
            for (String code : m.group(2).trim().split("\\s+")) out.add(new Expect(f.toString(), line, code));
        }
        return out;
    }

    // ------------------------------------------------------------------ the command line itself

    /** Files that are not there or not files, and inputs that only bytes can express. */
    private static List<Case> commandLine(Path root, Path scratch) throws IOException {
        List<Case> cases = new ArrayList<>();
        Path dir = Files.createDirectories(scratch.resolve("cli"));
        String missing = dir.resolve("no-such-file.hyena").toString();
        cases.add(new Case("cli/missing-file", List.of(missing), false, List.of(new Expect(missing, 1, "HY0102"))));
        String folder = Files.createDirectories(dir.resolve("a-folder.hyena")).toString();
        cases.add(new Case("cli/directory", List.of(folder), false, List.of(new Expect(folder, 1, "HY0102"))));
        cases.add(new Case("cli/empty-file-name", List.of(""), false, List.of()));
        String sample = root.resolve("samples/sh2-tiny.hyena").toString();
        cases.add(new Case("cli/valid-then-missing", List.of(sample, missing), false, List.of(new Expect(missing, 1, "HY0102"))));

        Path broken = write(dir.resolve("broken.hyena"), "model m {\n  width = \n");
        cases.add(new Case("cli/valid-then-broken", List.of(sample, broken.toString()), false, List.of(new Expect(broken.toString(), 0, "HY0002"))));
        cases.add(new Case("cli/broken-twice", List.of(broken.toString(), broken.toString()), false, List.of()));

        // Bytes no text editor would write on purpose.
        cases.add(bytes(dir, "nul-only", new byte[] {0}));
        cases.add(bytes(dir, "nul-in-import-path", "import \"a\0b.hyena\"\n".getBytes(StandardCharsets.UTF_8)));
        cases.add(bytes(dir, "bom-then-garbage", concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, "model ?\n".getBytes(StandardCharsets.UTF_8))));
        cases.add(bytes(dir, "bom-twice", concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, (byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
                "model m {}\n".getBytes(StandardCharsets.UTF_8))));
        cases.add(bytes(dir, "utf16-le", "model m {}\n".getBytes(StandardCharsets.UTF_16LE)));
        cases.add(bytes(dir, "utf16-be-bom", "model m {}\n".getBytes(StandardCharsets.UTF_16)));
        cases.add(bytes(dir, "latin1-name", "model caf\u00e9 {}\n".getBytes(StandardCharsets.ISO_8859_1)));
        cases.add(bytes(dir, "bad-utf8-on-line-3", concat("import \"std\"\n// fine\nop f() (x) { out x }".getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xC3, (byte) 0x28}, "\n".getBytes(StandardCharsets.UTF_8))));
        cases.add(bytes(dir, "crlf-lines", "import \"std\"\r\nmodel m {\r\n  width = 64\r\n  vocab = 1.5\r\n}\r\n".getBytes(StandardCharsets.UTF_8)));
        cases.add(bytes(dir, "cr-only-lines", "import \"std\"\rmodel m {\r  width = 64\r  vocab = 1.5\r}\r".getBytes(StandardCharsets.UTF_8)));
        cases.add(bytes(dir, "tabs-before-error", "model m {\n\t\t\twidth =\t\t\"64\"\n}\n".getBytes(StandardCharsets.UTF_8)));
        Random random = new Random(7);
        for (int i = 0; i < 4; i++) {
            byte[] noise = new byte[64 << i];
            random.nextBytes(noise);
            cases.add(bytes(dir, "random-bytes-" + noise.length, noise));
        }

        // Imports that only a generated tree can hold: a partner that is not UTF-8, a chain of 300 files.
        Path imp = Files.createDirectories(dir.resolve("imports"));
        Files.write(imp.resolve("latin1.hyena"), "op caf\u00e9() (x) { out x }\n".getBytes(StandardCharsets.ISO_8859_1));
        Path importsLatin1 = write(imp.resolve("imports-latin1.hyena"), "import \"latin1.hyena\"\n");
        cases.add(new Case("cli/import-not-utf8", List.of(importsLatin1.toString()), false, List.of(new Expect(importsLatin1.toString(), 1, "HY0104"))));
        for (int i = 0; i < 300; i++) {
            write(imp.resolve("chain" + i + ".hyena"), "import \"chain" + (i + 1) % 300 + ".hyena\"\nop c" + i + "() (x) { out x }\n");
        }
        cases.add(new Case("cli/import-cycle-of-300", List.of(imp.resolve("chain0.hyena").toString()), false,
                List.of(new Expect(imp.resolve("chain299.hyena").toString(), 1, "HY0101"))));
        return cases;
    }

    private static Case bytes(Path dir, String name, byte[] content) throws IOException {
        Path f = dir.resolve(name + ".hyena");
        Files.write(f, content);
        return new Case("cli/" + name, List.of(f.toString()), false, List.of());
    }

    // ------------------------------------------------------------------ from the samples

    /** The sample cut after every 7th character; cuts that leave a valid file are dropped by the test. */
    private static List<Case> truncations(String sample, String text, Path dir) throws IOException {
        List<Case> cases = new ArrayList<>();
        for (int cut = 7; cut < text.length(); cut += 7) {
            Path f = write(dir.resolve("cut-" + cut + ".hyena"), text.substring(0, cut));
            cases.add(new Case("truncated/" + sample + "@" + cut, List.of(f.toString()), true, List.of()));
        }
        return cases;
    }

    /** Control characters, NUL, random binary, invalid UTF-8 and invisible Unicode, written as bytes into the sample. */
    private static final List<byte[]> GARBAGE = List.of(
            new byte[] {0}, new byte[] {1}, new byte[] {7}, new byte[] {8}, new byte[] {0x0B}, new byte[] {0x0C},
            new byte[] {0x1B, '[', '3', '1', 'm'}, new byte[] {0x7F}, new byte[] {0, 0, 0, 0},
            new byte[] {(byte) 0x80}, new byte[] {(byte) 0xC3}, new byte[] {(byte) 0xFF, (byte) 0xFE},
            new byte[] {(byte) 0xC0, (byte) 0xAF}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, new byte[] {(byte) 0xE2, (byte) 0x82},
            new byte[] {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
            "\u00a0".getBytes(StandardCharsets.UTF_8), "\u200b".getBytes(StandardCharsets.UTF_8),
            "\ufeff".getBytes(StandardCharsets.UTF_8), "\u2028".getBytes(StandardCharsets.UTF_8),
            "\u202e".getBytes(StandardCharsets.UTF_8), "\ud83e\udd84".getBytes(StandardCharsets.UTF_8),
            "\u3000".getBytes(StandardCharsets.UTF_8));

    private static List<Case> garbage(String sample, String text, Path dir) throws IOException {
        List<Case> cases = new ArrayList<>();
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        Random random = new Random(sample.hashCode());
        for (int g = 0; g < GARBAGE.size(); g++) {
            for (int k = 0; k < 2; k++) {
                int at = asciiBoundary(bytes, random);
                Path f = dir.resolve("garbage-" + g + "-" + at + ".hyena");
                Files.write(f, concat(slice(bytes, 0, at), GARBAGE.get(g), slice(bytes, at, bytes.length)));
                cases.add(new Case("garbage/" + sample + "@" + at + "+" + hex(GARBAGE.get(g)), List.of(f.toString()), true, List.of()));
            }
        }
        byte[] noise = new byte[256];
        random.nextBytes(noise);
        int at = asciiBoundary(bytes, random);
        Path f = dir.resolve("garbage-random-" + at + ".hyena");
        Files.write(f, concat(slice(bytes, 0, at), noise, slice(bytes, at, bytes.length)));
        cases.add(new Case("garbage/" + sample + "@" + at + "+random256", List.of(f.toString()), true, List.of()));
        return cases;
    }

    /** An offset between two ASCII bytes, so that the insertion does not split a UTF-8 sequence of the sample. */
    private static int asciiBoundary(byte[] b, Random random) {
        while (true) {
            int at = 1 + random.nextInt(b.length - 1);
            if (b[at - 1] >= 0 && b[at] >= 0) return at;
        }
    }

    /**
     * A targeted change to a sample, with the diagnostic it must cause. Applied (first match only) to
     * every sample where {@code find} matches and {@code unless} does not occur.
     */
    record Mutation(String name, String find, String replace, String code, String unless) {
        Mutation(String name, String find, String replace, String code) { this(name, find, replace, code, null); }
    }

    /** Letters outside ASCII in names: the language's identifiers are ASCII. */
    static final List<Mutation> NON_ASCII = List.of(
            new Mutation("model-name-e-acute", "\\nmodel (\\w)", "\nmodel \u00e9$1", "HY0001"),
            new Mutation("width-i-diaeresis", "\\bwidth = ", "w\u00efdth = ", "HY0001"),
            new Mutation("greek-rho", "op mlp = ", "op ml\u03c1 = ", "HY0001"),
            new Mutation("cyrillic-o", "\\bvocab = ", "v\u043ecab = ", "HY0001"),
            new Mutation("cjk-binding", "op mha = ", "op \u6ce8\u610f = ", "HY0001"),
            new Mutation("emoji-in-name", "\\blayers = ", "layers\ud83d\ude42 = ", "HY0001"),
            new Mutation("lambda-in-callee", "hyena_li\\(", "hyena_\u03bbi(", "HY0001"),
            new Mutation("zero-width-space", "\\bcontext = ", "con\u200btext = ", "HY0001"),
            new Mutation("no-break-space", "\\bwidth = ", "width\u00a0= ", "HY0001"),
            new Mutation("fullwidth-letters", "gated_mlp\\(", "\uff47ated_mlp(", "HY0001"),
            new Mutation("combining-accent", "op mlp = ", "op mlp\u0301 = ", "HY0001"),
            new Mutation("dotless-i", "\\bimport ", "\u0131mport ", "HY0001"));

    static final List<Mutation> MUTATIONS = List.of(
            // names and arguments
            new Mutation("unknown-operator", "hyena_li\\(", "hyena_ly(", "HY0202"),
            new Mutation("misspelled-attention", "attention\\(", "atention(", "HY0202"),
            new Mutation("misspelled-argument", "hidden = ", "hiden = ", "HY0203"),
            new Mutation("misspelled-groups", "\\bgroups = g\\b", "grups = g", "HY0203"),
            new Mutation("missing-required-hidden", "gated_mlp\\(hidden = \\d+, ", "gated_mlp(", "HY0204"),
            new Mutation("missing-required-heads", "attention\\(heads = \\d+\\)", "attention()", "HY0204"),
            new Mutation("argument-twice", "attention\\(heads = (\\d+)", "attention(heads = $1, heads = $1", "HY0205"),
            new Mutation("positional-after-named", "gated_mlp\\(([^)]*)\\)", "gated_mlp($1, mha)", "HY0210"),
            new Mutation("apply-in-model", "(\\n\\s*layers = )", "\n  let y = mha(mha)$1", "HY0214"),
            new Mutation("unknown-property", "\\bcontext = ", "contxt = ", "HY0402"),
            new Mutation("no-prelude", "import \"std\"\\n", "", "HY0202"),
            new Mutation("misspelled-prelude", "import \"std\"", "import \"stdd\"", "HY0100"),
            new Mutation("block-typo", "block = parallel", "block = paralel", "HY0200"),
            new Mutation("dtype-typo", "dtype = bf16", "dtype = bf61", "HY0200"),
            new Mutation("let-shadows-property", "let g = ", "let width = ", "HY0209"),
            // types
            new Mutation("float-where-int", "heads = (\\d+)", "heads = $1.5", "HY0300"),
            new Mutation("string-where-op", "act = (\\w+)", "act = \"$1\"", "HY0300"),
            new Mutation("list-where-int", "hidden = (\\d+)", "hidden = [$1]", "HY0300"),
            new Mutation("int-where-op", "act = \\w+", "act = 3", "HY0300"),
            new Mutation("bool-where-int", "\\bvocab = \\d+", "vocab = true", "HY0300"),
            new Mutation("float-width", "\\bwidth = (\\d+)", "width = $1.0", "HY0300"),
            new Mutation("string-width", "\\bwidth = (\\d+)", "width = \"$1\"", "HY0300"),
            new Mutation("int-dtype", "dtype = \\w+", "dtype = 16", "HY0300"),
            new Mutation("int-rope", "rope = rope\\([^)]*\\)", "rope = 3", "HY0300"),
            new Mutation("layers-not-a-list", "\\blayers = [^\\n]*", "layers = mha", "HY0300"),
            new Mutation("layers-of-ints", "\\blayers = [^\\n]*", "layers = [1, 2, 3]", "HY0300"),
            new Mutation("int-as-operator", "op (\\w+) = hyena_li\\([^)]*\\)", "op $1 = 5", "HY0300"),
            new Mutation("string-minus-list", "\\blayers = ", "layers = \"x\" - ", "HY0300"),
            // values and arithmetic
            new Mutation("zero-width", "\\bwidth = \\d+", "width = 0", "HY0301"),
            new Mutation("negative-vocab", "\\bvocab = \\d+", "vocab = -512", "HY0301"),
            new Mutation("long-max-width", "\\bwidth = \\d+", "width = 9223372036854775807", "HY0301"),
            new Mutation("huge-int", "\\bcontext = \\d+", "context = 99999999999999999999", "HY0004"),
            new Mutation("huge-float", "\\bcontext = \\d+", "context = 1e999", "HY0004"),
            new Mutation("overflow", "\\bcontext = \\d+", "context = width * width * width * width * width * width * width * width * width * width * width", "HY0309"),
            new Mutation("groups-not-dividing", "let g = \\d+", "let g = 7", "HY0307"),
            new Mutation("zero-groups", "let g = \\d+", "let g = 0", "HY0301"),
            new Mutation("division-by-zero", "let g = (\\d+)", "let g = $1 / 0", "HY0303"),
            new Mutation("modulo-by-zero", "let g = (\\d+)", "let g = $1 % 0", "HY0303"),
            new Mutation("not-divisible", "let g = (\\d+)", "let g = $1 / 7", "HY0302"),
            new Mutation("heads-not-dividing-width", "attention\\(heads = \\d+(?=[,)])(?!, head_dim)", "attention(heads = 7", "HY0302"),
            new Mutation("zero-heads", "heads = \\d+", "heads = 0", "HY0301"),
            new Mutation("negative-hidden", "hidden = \\d+", "hidden = -5", "HY0301"),
            new Mutation("too-many-modes", "modes = \\d+", "modes = 100000", "HY0301"),
            new Mutation("zero-taps", "\\blen = \\d+", "len = 0", "HY0301"),
            new Mutation("rope-base-one", "base = 1e\\d", "base = 1", "HY0301"),
            new Mutation("negative-repeat", "\\] \\* (\\d+)", "] * -$1", "HY0406"),
            new Mutation("float-repeat", "\\] \\* (\\d+)", "] * $1.5", "HY0406"),
            new Mutation("huge-repeat", "\\] \\* \\d+", "] * 1000000000000", "HY0314"),
            // structure
            new Mutation("duplicate-binding", "(\\n\\s*op mlp = [^\\n]*)", "$1$1", "HY0201"),
            new Mutation("property-twice", "(\\n\\s*vocab = \\d+)", "$1$1", "HY0407"),
            new Mutation("no-layers", "\\n\\s*layers = [^\\n]*", "", "HY0401"),
            new Mutation("empty-model", "(model \\w+ \\{)[\\s\\S]*\\}", "$1 }", "HY0401"),
            new Mutation("empty-stripe", "\\blayers = [^\\n]*", "layers = []", "HY0405"),
            new Mutation("stripe-times-zero", "\\] \\* \\d+", "] * 0", "HY0405", "+"),
            new Mutation("override-out-of-range", "layers\\[\\d+\\]", "layers[1000]", "HY0403"),
            new Mutation("override-negative", "layers\\[\\d+\\]", "layers[-1]", "HY0403"),
            new Mutation("override-unknown-field", "\\.mlp\\.act =", ".mlp.actt =", "HY0404"),
            new Mutation("override-unknown-root", "\\.mlp\\.act =", ".mpl.act =", "HY0404"),
            new Mutation("override-too-deep", "\\.mlp\\.act =", ".mlp.act.x =", "HY0404"),
            new Mutation("block-without-mixer", "(\\bcontext = \\d+)", "$1\n  block = gelu", "HY0408", "block ="),
            new Mutation("out-in-model", "(\\n\\s*layers = )", "\n  out 1$1", "HY0315"),
            new Mutation("unpack-count", "q, k, v = deinterleave", "q, k = deinterleave", "HY0305"),
            new Mutation("out-twice", "(\\n\\s*out [^\\n]*)", "$1$1", "HY0313"),
            new Mutation("no-out", "\\n\\s*out [^\\n]*", "", "HY0310"),
            new Mutation("self-recursion", "silu\\(q\\)", "hyena_x(q, len = 3)", "HY0311"),
            new Mutation("inline-weights", "proj_in\\(x\\)", "linear(x, features = 3 * width)", "HY0207"),
            // syntax
            new Mutation("misspelled-keyword", "\\nmodel ", "\nmodle ", "HY0002"),
            new Mutation("missing-close-brace", "\\}\\s*\\z", "\n", "HY0002"),
            new Mutation("extra-close-brace", "\\z", "}\n", "HY0002"),
            new Mutation("extra-open-brace", "\\z", "{\n", "HY0002"),
            new Mutation("keyword-as-binding", "op mlp = ", "op model = ", "HY0002"),
            new Mutation("keyword-as-let", "(\\n\\s*op mlp)", "\n  let out = 1$1", "HY0002"),
            new Mutation("missing-comma", ", (\\w+ = )", " $1", "HY0002"),
            new Mutation("doubled-operator", "\\] \\* ", "] * * ", "HY0002"),
            new Mutation("power-operator", "\\] \\* ", "] ** ", "HY0002"),
            new Mutation("caret-operator", "\\] \\* ", "] ^ ", "HY0001"),
            new Mutation("comparison", "\\bvocab = ", "vocab == ", "HY0002"),
            new Mutation("unterminated-string", "import \"std\"", "import \"std", "HY0003"),
            new Mutation("unterminated-comment", "\\nmodel ", "\n/* model ", "HY0003"),
            new Mutation("unclosed-paren", "attention\\(", "attention((", "HY0002"),
            new Mutation("bad-escape", "import \"std\"", "import \"s\\\\qd\"", "HY0002"),
            new Mutation("malformed-number", "\\bvocab = (\\d)", "vocab = $1__", "HY0007"));

    private static List<Case> mutations(String sample, String text, Path dir, String kind, List<Mutation> list) throws IOException {
        List<Case> cases = new ArrayList<>();
        for (Mutation mu : list) {
            Matcher m = Pattern.compile(mu.find()).matcher(text);
            if (!m.find() || mu.unless() != null && text.contains(mu.unless())) continue;
            String mutated = m.replaceFirst(mu.replace());
            Path f = write(dir.resolve(kind + "-" + mu.name() + ".hyena"), mutated);
            cases.add(new Case(kind + "/" + sample + "/" + mu.name(), List.of(f.toString()), false,
                    List.of(new Expect(f.toString(), 0, mu.code()))));
        }
        return cases;
    }

    // ------------------------------------------------------------------ pathological sizes

    private static final String STD_MODEL_HEAD = "import \"std\"\nmodel m {\n  vocab = 512\n  width = 64\n  context = 1024\n"
            + "  op mha = attention(heads = 2)\n  op mlp = gated_mlp(hidden = 128)\n";

    private static List<Case> pathological(Path dir) throws IOException {
        List<Case> cases = new ArrayList<>();
        record Gen(String name, String code, String text) {}
        List<Gen> gens = new ArrayList<>();
        gens.add(new Gen("parens-10000", "HY0005", "model m {\n  width = " + "(".repeat(10_000) + "1" + ")".repeat(10_000) + "\n}\n"));
        gens.add(new Gen("brackets-10000", "HY0005", STD_MODEL_HEAD + "  layers = " + "[".repeat(10_000) + "mha" + "]".repeat(10_000) + "\n}\n"));
        gens.add(new Gen("braces-10000", "HY0005", "model m " + "{".repeat(10_000) + "}".repeat(10_000) + "\n"));
        gens.add(new Gen("open-parens-only-10000", "HY0005", "op f() (x) { out " + "(".repeat(10_000) + "\n"));
        gens.add(new Gen("close-parens-10000", "HY0002", "op f() (x) { out x " + ")".repeat(10_000) + "}\n"));
        gens.add(new Gen("nested-calls-10000", "HY0005", "op f() (x) {\n  out " + "gelu(".repeat(10_000) + "x" + ")".repeat(10_000) + "\n}\n"));
        gens.add(new Gen("unary-minus-100000", "HY0005", "model m {\n  width = " + "-".repeat(100_000) + "1\n}\n"));
        gens.add(new Gen("spaced-unary-minus-100000", "HY0005", "model m {\n  width = " + "- ".repeat(100_000) + "1\n}\n"));
        gens.add(new Gen("minus-paren-alternating", "HY0005", "model m {\n  width = " + "-(".repeat(5_000) + "1" + ")".repeat(5_000) + "\n}\n"));
        gens.add(new Gen("sum-200000-then-string", "HY0300", STD_MODEL_HEAD + "  let n = " + "1+".repeat(200_000) + "\"x\"\n  layers = [mha] * n\n}\n"));
        gens.add(new Gen("sum-200000-too-wide", "HY0301", "import \"std\"\nmodel m {\n  vocab = 512\n  context = 1024\n  width = "
                + "10000000+".repeat(200_000) + "1\n  op mha = attention(heads = 2)\n  op mlp = gated_mlp(hidden = 128)\n  layers = [mha]\n}\n"));
        gens.add(new Gen("sum-200000-tensor-plus-int", "HY0300", "op f() (x) {\n  out x" + " + x".repeat(200_000) + " + 1\n}\n"));
        gens.add(new Gen("product-200000-over-zero", "HY0303", "model m {\n  let n = " + "1*".repeat(200_000) + "1 / 0\n}\n"));
        gens.add(new Gen("list-of-100001", "HY0314", STD_MODEL_HEAD + "  layers = [" + "mha, ".repeat(100_001) + "]\n}\n"));
        gens.add(new Gen("stripe-of-20000", "HY0314", STD_MODEL_HEAD + "  layers = [" + "mha, ".repeat(20_000) + "]\n}\n"));
        gens.add(new Gen("nested-lists-wide", "HY0300", STD_MODEL_HEAD + "  layers = [" + "[mha], ".repeat(3_000) + "]\n}\n"));
        gens.add(new Gen("selector-chain-100000", "HY0404", STD_MODEL_HEAD + "  layers = [mha]\n  layers[0]" + ".mixer".repeat(100_000) + " = mha\n}\n"));
        gens.add(new Gen("index-chain-100000", "HY0315", STD_MODEL_HEAD + "  layers = [mha]\n  layers" + "[0]".repeat(100_000) + " = mha\n}\n"));
        gens.add(new Gen("index-chain-in-op-100000", "HY0315", "op f() (x) {\n  y" + "[0]".repeat(100_000) + " = x\n  out x\n}\n"));
        gens.add(new Gen("targets-100000", "HY0305", "op f() (x) {\n  " + "a, ".repeat(100_000) + "b = x\n  out x\n}\n"));
        gens.add(new Gen("arguments-100000", "HY0205", "op f() (x) {\n  op p = linear(" + "features = 8, ".repeat(100_000) + ")\n  out p(x)\n}\n"));
        gens.add(new Gen("inputs-100000", "HY0206", "op f() (x) {\n  out gelu(" + "x, ".repeat(100_000) + ")\n}\n"));
        gens.add(new Gen("params-50000", "HY0310", "op f(" + numbered("p%d: int, ", 50_000) + ") (x) { }\n"));
        gens.add(new Gen("statements-100000", "HY0401", "model m {\n" + numbered("  let a%d = %1$d\n", 100_000) + "}\n"));
        gens.add(new Gen("unknown-operators-20000", "HY0202", numbered("op f%d() (x) { out nope%1$d(x) }\n", 20_000)));
        gens.add(new Gen("long-name-near-miss", "HY0200", "model m {\n  let " + "a".repeat(1_000_000) + " = 1\n  width = "
                + "a".repeat(999_999) + "b\n}\n"));
        gens.add(new Gen("long-string", "HY0300", "model m {\n  width = \"" + "s".repeat(1_000_000) + "\"\n}\n"));
        gens.add(new Gen("long-unterminated-string", "HY0003", "model m {\n  width = \"" + "s".repeat(1_000_000) + "\n}\n"));
        gens.add(new Gen("long-number", "HY0004", "model m {\n  width = " + "9".repeat(1_000_000) + "\n}\n"));
        gens.add(new Gen("long-float", "HY0004", "model m {\n  width = 1" + "0".repeat(400) + ".5\n}\n"));
        gens.add(new Gen("error-at-column-1000000", "HY0200", "model m {\n" + " ".repeat(1_000_000) + "width = w\n}\n"));
        gens.add(new Gen("bad-chars-1000000", "HY0001", "model m {\n  width = " + "$".repeat(1_000_000) + "\n}\n"));
        gens.add(new Gen("semicolons-300000-lines", "HY0002", ";\n".repeat(300_000)));
        gens.add(new Gen("closing-braces-300000-lines", "HY0002", "}\n".repeat(300_000)));
        gens.add(new Gen("comment-openers-100000", "HY0003", "/*" + " /*".repeat(100_000)));
        gens.add(new Gen("five-megabytes", "HY0006", "// padding\n".repeat(5 * 1024 * 1024 / 11 + 1)));
        gens.add(new Gen("five-megabytes-one-line", "HY0006", "a".repeat(5 * 1024 * 1024)));
        gens.add(new Gen("just-over-the-limit", "HY0006", "x".repeat(4 * 1024 * 1024 + 1)));
        // Operator graphs: chains and fan-out that make naive elaboration slow.
        gens.add(new Gen("operator-chain-3000", "HY0005", "op g0() (x) { out x + 1 }\n" + chain(3_000)));
        gens.add(new Gen("operator-cycle-2000", "HY0005", "op g0() (x) { out g1999(x) }\n" + chain(2_000)));
        StringBuilder fan = new StringBuilder("op f0() (x) { out x }\n");
        for (int k = 1; k <= 60; k++) fan.append("op f").append(k).append("() (x) { out f").append(k - 1).append("(x) + f").append(k - 1).append("(x) }\n");
        gens.add(new Gen("operator-fan-out-2^60", "HY0317", fan + "op bad() (x) { out x + 1 }\n"));
        for (Gen g : gens) {
            Path f = write(dir.resolve(g.name() + ".hyena"), g.text());
            cases.add(new Case("huge/" + g.name(), List.of(f.toString()), false, List.of(new Expect(f.toString(), 0, g.code()))));
        }
        return cases;
    }

    private static String numbered(String pattern, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) b.append(String.format(pattern, i));
        return b.toString();
    }

    /** Operators g1 … g(n-1), each applying the one below it. */
    private static String chain(int n) {
        StringBuilder b = new StringBuilder();
        for (int k = 1; k < n; k++) b.append("op g").append(k).append("() (x) { out g").append(k - 1).append("(x) }\n");
        return b.toString();
    }

    // ------------------------------------------------------------------ bytes

    private static Path write(Path f, String text) throws IOException {
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    private static byte[] slice(byte[] b, int from, int to) {
        return java.util.Arrays.copyOfRange(b, from, to);
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(String.format("%02X", x & 0xFF));
        return s.toString();
    }
}
