package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.source.SourceFile;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One parsed file with its imports resolved and its operator declarations turned into templates. */
public final class Module {
    private final SourceFile source;
    private final Ast.File ast;
    private final boolean library;
    final List<Module> imports = new ArrayList<>();
    final Map<String, Template.Declared> declared = new LinkedHashMap<>();

    Module(SourceFile source, Ast.File ast, boolean library) {
        this.source = source;
        this.ast = ast;
        this.library = library;
    }

    public SourceFile source() { return source; }
    public Ast.File ast() { return ast; }
    /** The prelude: errors inside it are reported where user code called it. */
    public boolean isLibrary() { return library; }
    public List<Module> imports() { return List.copyOf(imports); }
    public Map<String, Template.Declared> declared() { return java.util.Collections.unmodifiableMap(declared); }

    public List<Ast.ModelDecl> models() {
        return ast.decls().stream().filter(d -> d instanceof Ast.ModelDecl).map(d -> (Ast.ModelDecl) d).toList();
    }

    /** A template by name as this file sees it: its own declarations, then its imports', then primitives. */
    public Optional<Template> template(String name) {
        Template t = declared.get(name);
        if (t != null) return Optional.of(t);
        for (Module m : imports) {
            t = m.declared.get(name);
            if (t != null) return Optional.of(t);
        }
        return Optional.ofNullable(Primitives.get(name));
    }

    /** Every template name visible here (for did-you-mean and completion). */
    public List<String> templateNames() {
        List<String> names = new ArrayList<>(declared.keySet());
        for (Module m : imports) names.addAll(m.declared.keySet());
        names.addAll(Primitives.all().keySet());
        return names;
    }
}
