package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.parse.SyntaxReader;
import hyenac.dsl.source.SourceFile;
import hyenac.dsl.source.Span;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads files, resolves imports (relative to the importing file; "std" is the prelude), caches modules. */
public final class ModuleLoader {
    public static final String PRELUDE = "std";
    private static final String PRELUDE_RESOURCE = "/hyenac/dsl/std.hyena";

    private final Diagnostics diags;
    private final Map<String, Module> cache = new HashMap<>();
    private final Deque<String> loading = new ArrayDeque<>();

    public ModuleLoader(Diagnostics diags) { this.diags = diags; }

    /** Loads a file named on the command line; null (and a diagnostic) when it cannot be read. */
    public Module loadFile(Path path) {
        if (path.toString().isEmpty()) {
            // Path.of("") is the working directory: name what was given instead of "cannot read : it is a directory".
            diags.report(Code.HY0102, Span.at(new SourceFile("\"\"", ""), 0), "\"\"", "the file name is empty");
            return null;
        }
        return loadPath(path, null);
    }

    /** Loads text held in memory (an editor buffer); imports resolve against {@code dir}. */
    public Module loadSource(SourceFile source, Path dir) {
        String key = dir == null ? source.name() : dir.resolve(source.name()).toAbsolutePath().normalize().toString();
        return load(key, source, dir);
    }

    public Module prelude() {
        Module m = cache.get(PRELUDE);
        if (m != null) return m;
        try (InputStream in = ModuleLoader.class.getResourceAsStream(PRELUDE_RESOURCE)) {
            if (in == null) throw new IllegalStateException("the prelude is missing from the build: " + PRELUDE_RESOURCE);
            SourceFile src = new SourceFile(PRELUDE, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            m = build(src, true, null);
            cache.put(PRELUDE, m);
            return m;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the prelude", e);
        }
    }

    private Module loadPath(Path path, Span importedAt) {
        String key = path.toAbsolutePath().normalize().toString();
        Module cached = cache.get(key);
        if (cached != null) return cached;
        Span at = importedAt != null ? importedAt : Span.at(new SourceFile(path.toString(), ""), 0);
        String text;
        byte[] bytes = null;
        try {
            bytes = Files.readAllBytes(path);
            if (bytes.length > SyntaxReader.MAX_CHARS) {
                diags.report(Code.HY0006, at, bytes.length, SyntaxReader.MAX_CHARS);
                return null;
            }
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            Span bad = firstInvalidByte(path, bytes);
            diags.add(importedAt == null ? Diagnostic.of(Code.HY0104, bad, path)
                    : Diagnostic.of(Code.HY0104, at, path).withNote(bad, "the first byte that is not UTF-8"));
            return null;
        } catch (NoSuchFileException e) {
            diags.report(Code.HY0102, at, path, "no such file");
            return null;
        } catch (IOException | SecurityException e) {
            diags.report(Code.HY0102, at, path, Files.isDirectory(path) ? "it is a directory" : String.valueOf(e.getMessage()));
            return null;
        }
        if (text.startsWith("\uFEFF")) text = " " + text.substring(1); // keep offsets: the BOM becomes a space
        return load(key, new SourceFile(path.toString(), text), path.toAbsolutePath().getParent());
    }

    /** Builds a user file and caches it under {@code key}; an import of {@code key} meanwhile is a cycle. */
    private Module load(String key, SourceFile source, Path dir) {
        loading.push(key);
        try {
            Module m = build(source, false, dir);
            cache.put(key, m);
            return m;
        } finally {
            loading.pop();
        }
    }

    /** The first byte that is not UTF-8, in the text as decoded with replacement characters (so the excerpt can show it). */
    private static Span firstInvalidByte(Path path, byte[] bytes) {
        CharBuffer decoded = CharBuffer.allocate(bytes.length);
        StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes), decoded, true); // stops there
        SourceFile lenient = new SourceFile(path.toString(), new String(bytes, StandardCharsets.UTF_8));
        int at = decoded.position();
        return new Span(lenient, at, Math.min(at + 1, lenient.text().length()));
    }

    private Module build(SourceFile source, boolean library, Path dir) {
        Ast.File ast = SyntaxReader.read(source, diags);
        Module module = new Module(source, ast, library);
        Set<String> seen = new HashSet<>();
        for (Ast.Import imp : ast.imports()) {
            if (!seen.add(imp.path())) {
                diags.report(Code.HY0103, imp.pathSpan(), imp.path());
                continue;
            }
            Module target = resolveImport(imp, dir);
            if (target != null) module.imports.add(target);
        }
        declare(module);
        return module;
    }

    private Module resolveImport(Ast.Import imp, Path dir) {
        if (imp.path().equals(PRELUDE)) return prelude();
        if (imp.path().isBlank()) {
            diags.report(Code.HY0100, imp.pathSpan(), imp.path());
            return null;
        }
        Path base = dir != null ? dir : Path.of("").toAbsolutePath();
        Path target;
        try {
            target = base.resolve(imp.path()).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            diags.report(Code.HY0100, imp.pathSpan(), imp.path());
            return null;
        }
        if (!Files.isRegularFile(target) && Files.isRegularFile(Path.of(target + ".hyena"))) {
            target = Path.of(target + ".hyena");
        }
        String key = target.toAbsolutePath().normalize().toString();
        if (loading.contains(key)) {
            List<String> chain = new ArrayList<>();
            List<String> stack = new ArrayList<>(loading);
            java.util.Collections.reverse(stack);
            for (String s : stack.subList(stack.indexOf(key), stack.size())) chain.add(Path.of(s).getFileName().toString());
            chain.add(target.getFileName().toString());
            diags.report(Code.HY0101, imp.pathSpan(), String.join(" → ", chain));
            return null;
        }
        if (!Files.exists(target)) {
            diags.add(Diagnostic.of(Code.HY0100, imp.pathSpan(), imp.path())
                    .withNote("looked for " + target + "; paths are relative to the importing file, and \"std\" is the prelude"));
            return null;
        }
        return loadPath(target, imp.pathSpan());
    }

    /** Turns the file's op and block declarations into templates, checking their signatures. */
    private void declare(Module module) {
        Map<String, Span> models = new HashMap<>();
        for (Ast.Decl decl : module.ast().decls()) {
            // Models share no namespace with operators, but `explain --model` picks them by name.
            if (decl instanceof Ast.ModelDecl md && !md.name().missing()) {
                Span first = models.putIfAbsent(md.name().name(), md.name().span());
                if (first != null) diags.add(Diagnostic.of(Code.HY0201, md.name().span(), md.name().name()).withNote(first, "first defined here"));
                continue;
            }
            if (!(decl instanceof Ast.OpDecl op) || op.name().missing()) continue;
            if (module.declared.containsKey(op.name().name())) {
                diags.add(Diagnostic.of(Code.HY0201, op.name().span(), op.name().name())
                        .withNote(module.declared.get(op.name().name()).span(), "first defined here"));
                continue;
            }
            List<ParamSpec> params = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (Ast.Param p : op.params()) {
                if (p.name().missing()) continue;
                if (!names.add(p.name().name())) {
                    diags.report(Code.HY0201, p.name().span(), p.name().name());
                    continue;
                }
                Type type = Type.declared(p.type().name()).orElse(null);
                if (type == null && !p.type().missing()) {
                    Diagnostic d = Diagnostic.of(Code.HY0306, p.type().span(), p.type().name())
                            .withNote("types: " + String.join(", ", Type.DECLARABLE.stream().map(t -> t.spelling).toList()));
                    var guess = Suggest.closest(p.type().name(), Type.DECLARABLE.stream().map(t -> t.spelling).toList());
                    if (guess.isPresent()) d = Suggest.fix(d, p.type().span(), guess.get());
                    diags.add(d);
                }
                params.add(new ParamSpec(p.name().name(), type, null, p.dflt(), null, p.doc(), p.name().span()));
            }
            Set<String> inputs = new HashSet<>();
            for (Ast.Ident in : op.inputs()) {
                if (!inputs.add(in.name()) || names.contains(in.name())) diags.report(Code.HY0201, in.span(), in.name());
            }
            module.declared.put(op.name().name(), new Template.Declared(op, module, params));
        }
    }
}
