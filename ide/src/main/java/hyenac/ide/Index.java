package hyenac.ide;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.check.Module;
import hyenac.dsl.check.ParamSpec;
import hyenac.dsl.check.Template;
import hyenac.dsl.check.Type;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Every identifier of one file with what it means: a declaration, a local binding, a parameter, an
 * operator, an argument name, a model property. Built from the front end's (possibly partial) tree and
 * module, and shared by hover, go-to-definition, completion and semantic tokens.
 */
final class Index {
    /** The model properties a model body may set. */
    static final List<String> PROPERTIES = List.of("vocab", "width", "context", "dtype", "block", "layers");

    enum Role {
        OP_DECL, MODEL_DECL, PARAM_DECL, PARAM_TYPE, INPUT_DECL, LOCAL_DECL, PROPERTY_SET,
        CALLEE, ARG_NAME, NAME, FIELD, IMPORT_PATH
    }

    /** What an identifier refers to. */
    sealed interface Target {}

    /** A name bound inside a declaration: a parameter, an input, a let, an op binding, a tensor value, a property. */
    record Local(Ast.Ident def, LocalKind kind, Ast.Node node, Ast.Decl decl) implements Target {}

    enum LocalKind { PARAM, INPUT, LET, OP, VALUE, PROPERTY }

    record Operator(Template template) implements Target {}
    record Param(Template template, ParamSpec param) implements Target {}
    record Constant(Type type, String name) implements Target {}
    /** {@code width} inside an operator body: the width of the model it is used in. */
    record Ambient(String name) implements Target {}
    record Unresolved() implements Target {}

    record Occurrence(Ast.Ident ident, Role role, Target target, Ast.Decl decl) {
        int start() { return ident.span().start(); }
        int end() { return ident.span().end(); }
    }

    final Module module;
    final List<Occurrence> occurrences = new ArrayList<>();
    /** Bindings per declaration, in source order. */
    final java.util.Map<Ast.Decl, List<Local>> locals = new java.util.IdentityHashMap<>();
    /** The call each callee identifier belongs to. */
    final java.util.Map<Ast.Ident, Ast.Call> calls = new java.util.IdentityHashMap<>();
    /** The assignment target each field identifier belongs to, e.g. {@code layers[0].mlp.act}. */
    final java.util.Map<Ast.Ident, Ast.Target> fieldTargets = new java.util.IdentityHashMap<>();

    Index(Module module) {
        this.module = module;
        if (module == null) return;
        for (Ast.Decl d : module.ast().decls()) {
            locals.put(d, new ArrayList<>());
            switch (d) {
                case Ast.OpDecl op -> opDecl(op);
                case Ast.ModelDecl m -> modelDecl(m);
            }
        }
        occurrences.sort(Comparator.comparingInt(Occurrence::start));
    }

    /** The innermost identifier under an offset (its end counts: the cursor sits after a word). */
    Optional<Occurrence> at(int offset) {
        Occurrence best = null;
        for (Occurrence o : occurrences) {
            if (o.ident.missing()) continue;
            if (o.start() <= offset && offset <= o.end()) {
                if (best == null || offset < o.end()) best = o; // prefer the word the cursor is inside
            }
        }
        return Optional.ofNullable(best);
    }

    /** The declaration whose span holds an offset. */
    Optional<Ast.Decl> declAt(int offset) {
        if (module == null) return Optional.empty();
        for (Ast.Decl d : module.ast().decls()) {
            if (d.span().start() <= offset && offset <= d.span().end()) return Optional.of(d);
        }
        return Optional.empty();
    }

    /** Names visible at an offset inside a declaration: its bindings made before the offset, then parameters. */
    List<Local> visible(Ast.Decl decl, int offset) {
        List<Local> out = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        List<Local> all = new ArrayList<>(locals.getOrDefault(decl, List.of()));
        java.util.Collections.reverse(all);
        for (Local l : all) {
            boolean before = l.kind == LocalKind.PARAM || l.kind == LocalKind.INPUT || l.def.span().end() <= offset;
            if (before && !l.def.missing() && seen.add(l.def.name())) out.add(l);
        }
        return out;
    }

    // ---------------------------------------------------------------- building

    private void opDecl(Ast.OpDecl op) {
        Template.Declared self = module.declared().get(op.name().name());
        if (self != null && self.decl() != op) self = null; // a duplicate: the first one owns the name
        add(op.name(), Role.OP_DECL, self != null ? new Operator(self) : new Unresolved(), op);
        for (Ast.Param p : op.params()) {
            if (p.dflt() != null) expr(p.dflt(), op, true);
            Local l = define(op, p.name(), LocalKind.PARAM, p);
            add(p.name(), Role.PARAM_DECL, l, op);
            add(p.type(), Role.PARAM_TYPE, new Unresolved(), op);
        }
        for (Ast.Ident in : op.inputs()) add(in, Role.INPUT_DECL, define(op, in, LocalKind.INPUT, in), op);
        body(op.body(), op, true);
    }

    private void modelDecl(Ast.ModelDecl m) {
        add(m.name(), Role.MODEL_DECL, new Unresolved(), m);
        body(m.body(), m, false);
    }

    private void body(List<Ast.Stmt> stmts, Ast.Decl decl, boolean inOp) {
        for (Ast.Stmt s : stmts) {
            switch (s) {
                case Ast.Let let -> {
                    expr(let.value(), decl, inOp);
                    add(let.name(), Role.LOCAL_DECL, define(decl, let.name(), LocalKind.LET, let), decl);
                }
                case Ast.OpBind ob -> {
                    expr(ob.value(), decl, inOp);
                    add(ob.name(), Role.LOCAL_DECL, define(decl, ob.name(), LocalKind.OP, ob), decl);
                }
                case Ast.Out out -> expr(out.value(), decl, inOp);
                case Ast.Assign a -> {
                    expr(a.value(), decl, inOp);
                    for (Ast.Target t : a.targets()) {
                        if (inOp) {
                            add(t.root(), Role.LOCAL_DECL, define(decl, t.root(), LocalKind.VALUE, a), decl);
                        } else if (t.isPlainName()) {
                            add(t.root(), Role.PROPERTY_SET, define(decl, t.root(), LocalKind.PROPERTY, a), decl);
                        } else {
                            add(t.root(), Role.NAME, resolve(t.root(), decl, inOp), decl);
                            fieldTargets.put(t.root(), t);
                        }
                        for (Ast.Selector sel : t.selectors()) {
                            switch (sel) {
                                case Ast.Index ix -> expr(ix.index(), decl, inOp);
                                case Ast.Field f -> {
                                    add(f.name(), Role.FIELD, new Unresolved(), decl);
                                    fieldTargets.put(f.name(), t);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private void expr(Ast.Expr e, Ast.Decl decl, boolean inOp) {
        switch (e) {
            case Ast.Name n -> add(n.ident(), Role.NAME, resolve(n.ident(), decl, inOp), decl);
            case Ast.Call c -> {
                Target callee = local(c.callee(), decl);
                if (callee == null) {
                    callee = module.template(c.callee().name()).<Target>map(Operator::new).orElse(new Unresolved());
                }
                add(c.callee(), Role.CALLEE, callee, decl);
                calls.put(c.callee(), c);
                Template t = callee instanceof Operator o ? o.template() : null;
                for (Ast.Arg a : c.args()) {
                    if (a.name() != null) {
                        Target p = t == null ? new Unresolved()
                                : t.param(a.name().name()).<Target>map(ps -> new Param(t, ps)).orElse(new Unresolved());
                        add(a.name(), Role.ARG_NAME, p, decl);
                    }
                    expr(a.value(), decl, inOp);
                }
            }
            case Ast.Neg n -> expr(n.operand(), decl, inOp);
            case Ast.Binary b -> { expr(b.left(), decl, inOp); expr(b.right(), decl, inOp); }
            case Ast.ListLit l -> l.items().forEach(i -> expr(i, decl, inOp));
            case Ast.Num n -> { }
            case Ast.Str s -> { }
            case Ast.Bool b -> { }
            case Ast.Error err -> { }
        }
    }

    private Target resolve(Ast.Ident id, Ast.Decl decl, boolean inOp) {
        Local l = local(id, decl);
        if (l != null) return l;
        if (inOp && id.name().equals("width")) return new Ambient("width");
        var t = module.template(id.name());
        if (t.isPresent()) return new Operator(t.get());
        var e = Type.enumOf(id.name());
        if (e.isPresent()) return new Constant(e.get(), id.name());
        return new Unresolved();
    }

    /** The latest binding of the name made before this point in the declaration. */
    private Local local(Ast.Ident id, Ast.Decl decl) {
        List<Local> ls = locals.get(decl);
        for (int i = ls.size() - 1; i >= 0; i--) {
            if (ls.get(i).def.name().equals(id.name())) return ls.get(i);
        }
        return null;
    }

    private Local define(Ast.Decl decl, Ast.Ident id, LocalKind kind, Ast.Node node) {
        Local l = new Local(id, kind, node, decl);
        if (!id.missing()) locals.get(decl).add(l);
        return l;
    }

    private void add(Ast.Ident id, Role role, Target target, Ast.Decl decl) {
        if (id != null) occurrences.add(new Occurrence(id, role, target, decl));
    }
}
