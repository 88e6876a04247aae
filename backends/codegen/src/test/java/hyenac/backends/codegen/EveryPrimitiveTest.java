package hyenac.backends.codegen;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.cuda.CudaKernels;
import hyenac.backends.codegen.kernels.Kernels;
import hyenac.backends.cpu.CpuExecutor;
import hyenac.backends.cpu.GradientExecutor;
import hyenac.compiler.ToGraph;
import hyenac.compiler.passes.PassManager;
import hyenac.dsl.check.Checker;
import hyenac.dsl.check.ParamSpec;
import hyenac.dsl.check.Primitives;
import hyenac.dsl.source.SourceFile;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.Verifier;
import hyenac.ir.autodiff.Vjps;
import hyenac.runtime.weights.WeightStore;
import hyenac.train.Parameters;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every primitive of the table ({@link Primitive}) has all it needs: a type rule its nodes pass, a DSL schema (or the
 * DSL's operators or model elaboration write it, or only training graphs hold it), a vector-Jacobian product (or a
 * reason it has none), a CPU kernel that runs, and a GPU generator (or a library call; training primitives run on the
 * CPU only). A primitive added to the table without one of them fails here, by name.
 *
 * <p>One model applies every primitive a spec can write; its training graph adds the others (v goes unused so that
 * deinterleave's VJP emits zeros_like; no pass runs on the forward graph, so identity stays). Both are run on the CPU
 * and every node of the forward graph is generated for. Here in codegen's tests because they are the lowest that see
 * the DSL (through the compiler), the IR, the CPU backend and the generators together.
 */
class EveryPrimitiveTest {
    private static final String SPEC = """
            import "std"
            block bare(mixer: op) (x) {
              out mixer(x)
            }
            op every() (x) {
              op wide = linear(features = 3 * width, bias = true)
              op halves = linear(features = 3 * width)
              op down = linear(features = width)
              op fir = causal_conv(len = 5, groups = 2, skip = true, decay = true)
              op iir = modal_conv(modes = 2)
              op norm = rmsnorm()
              q, k, v = deinterleave(wide(x), n = 3)
              a, b = split(halves(x), n = 2)
              c = down(concat(a, -b))
              h = gelu(q) * fir(k) + silu(iir(q)) - relu(identity(c)) * 0.5
              out causal_attention(norm(h), k, q, heads = 2, rope = rope(base = 100.0))
            }
            model every_primitive {
              vocab = 32
              width = 8
              context = 16
              block = bare
              op e = every()
              layers = [e]
            }
            """;

    private static final int BATCH = 2, LENGTH = 6;

    /**
     * The model as elaborated (no pass has run, so identity is still there), its training graph, and the primitives
     * of both, which ran on the CPU.
     */
    private record Coverage(Graph forward, Graph training, Set<Primitive> ranOnTheCpu) {}

    private static Coverage coverage;
    private static RuntimeException failure;

    /** Built once; a failure (a missing VJP stops differentiation) fails every check that needs the graphs, saying why. */
    private static synchronized Coverage coverage() {
        if (coverage == null && failure == null) {
            try {
                coverage = build();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (failure != null) throw new AssertionError("the model applying every primitive did not build and run: " + failure, failure);
        return coverage;
    }

    private static Coverage build() {
        Checker.Result checked = Checker.checkSource(new SourceFile("every-primitive.hyena", SPEC), null);
        if (!checked.ok()) throw new IllegalStateException("the spec does not check: " + checked.diagnostics());
        Graph forward = ToGraph.of(checked.models().getFirst());
        Graph training = PassManager.training().verifyEach(true).run(forward);
        Set<Primitive> ran = EnumSet.noneOf(Primitive.class);

        // every value of the forward graph, then a prompt and one decode step; the training graph's loss and gradients
        long[] tokens = new long[BATCH * LENGTH];
        for (int i = 0; i < tokens.length; i++) tokens[i] = (i * 7) % 32;
        CpuExecutor cpu = new CpuExecutor(forward, WeightStore.random(forward, 3));
        cpu.run(BATCH, LENGTH, tokens, Map.of(), forward.nodes().stream().flatMap(n -> n.results().stream()).toList());
        cpu.prefill(tokens, BATCH, LENGTH);
        for (Node n : forward.nodes()) {
            if (n.primitive().stateful() != (cpu.state(n) != null)) {
                throw new IllegalStateException(n.op() + (n.primitive().stateful() ? " keeps no decode state" : " keeps decode state the table does not know of"));
            }
        }
        cpu.step(new long[] {1, 2});
        forward.nodes().forEach(n -> ran.add(n.primitive()));
        float[] mask = new float[tokens.length];
        Arrays.fill(mask, 1);
        GradientExecutor.Result r = new GradientExecutor(training, Parameters.initial(training, 5)).run(BATCH, LENGTH, tokens, tokens, mask);
        if (!Double.isFinite(r.loss())) throw new IllegalStateException("the loss is " + r.loss());
        training.nodes().forEach(n -> ran.add(n.primitive()));
        return new Coverage(forward, training, ran);
    }

    private static List<Node> nodesOf(Graph g, Primitive p) { return g.nodes().stream().filter(n -> n.is(p)).toList(); }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Primitive.class)
    void hasEveryImplementation(Primitive p) {
        assertAll(p.op(),
                () -> vjp(p),
                () -> dslForm(p),
                () -> assertFalse(nodesOf(coverage().forward(), p).isEmpty() && nodesOf(coverage().training(), p).isEmpty(),
                        p + " is in neither graph: apply it in this test's spec"),
                () -> typeRule(p),
                () -> assertTrue(coverage().ranOnTheCpu().contains(p), p + " did not run on the CPU"),
                () -> generator(p));
    }

    /** Its rule exists and the graphs' nodes pass it (with the arity, attributes and weight roles of the table). */
    private static void typeRule(Primitive p) {
        assertNotNull(p.typeRule(), p + " has no type rule");
        for (Graph g : List.of(coverage().forward(), coverage().training())) {
            assertEquals(List.of(), Verifier.problems(g).stream().filter(problem -> problem.contains("(" + p.op() + ")")).toList());
        }
    }

    private static void dslForm(Primitive p) {
        hyenac.dsl.check.Primitive schema = Primitives.get(p.op());
        switch (p.form()) {
            case CALL -> {
                assertNotNull(schema, p + " has no schema in dsl/check/Primitives");
                assertEquals(hyenac.dsl.check.Primitive.Role.COMPUTE, schema.role(), p + "'s schema");
                assertEquals(p.operands(), schema.inputCount(), p + ": the schema's inputs and the table's operands");
                // an operator-valued parameter (rope) is carried as rope, rope.base, rope.scale
                Set<String> attributeRoots = p.attributes().stream().map(a -> a.contains(".") ? a.substring(0, a.indexOf('.')) : a)
                        .collect(Collectors.toCollection(TreeSet::new));
                assertEquals(attributeRoots, schema.params().stream().map(ParamSpec::name).collect(Collectors.toCollection(TreeSet::new)),
                        p + ": the schema's parameters and the table's attributes");
            }
            case OPERATOR, MODEL -> {
                assertNull(schema, p + " is written by the DSL's arithmetic or model elaboration, not called by name");
                assertFalse(nodesOf(coverage().forward(), p).isEmpty(), p + ": the DSL did not write it");
            }
            case TRAINING -> {
                assertNull(schema, p + " is a training primitive: a spec cannot call it");
                assertTrue(nodesOf(coverage().forward(), p).isEmpty(), p + " in a forward graph");
            }
        }
    }

    private static void vjp(Primitive p) {
        if (p.differentiable()) {
            assertTrue(Vjps.of(p).isPresent(), p + " is differentiable but has no VJP in ir/autodiff/Vjps");
        } else {
            assertTrue(Vjps.of(p).isEmpty(), p + " is marked not differentiable but has a VJP");
            assertFalse(p.whyNotDifferentiable().isBlank(), p + " says no reason it has no VJP");
        }
    }

    private static void generator(Primitive p) {
        Kernels cuda = new CudaKernels();
        Graph training = coverage().training(), forward = coverage().forward();
        if (p.form() == Primitive.Form.TRAINING) {
            for (Node n : nodesOf(training, p)) {
                var e = assertThrows(UnsupportedOperationException.class, () -> cuda.forNode(training, n, Precision.FP32));
                assertTrue(e.getMessage().contains("training runs on the CPU"), e.getMessage());
            }
            return;
        }
        for (Node n : nodesOf(forward, p)) {
            if (!Kernels.isLibraryCall(n)) assertFalse(cuda.forNode(forward, n, Precision.FP32).isEmpty(), p + " has no parallel kernels");
            // a decode step's projections are GEMVs; other stateless nodes run their parallel kernels there
            boolean stepKernels = p.stateful() || p == Primitive.LINEAR || p == Primitive.UNEMBED;
            assertEquals(stepKernels, !cuda.decodeForNode(forward, n, Precision.FP32).isEmpty(), p + ": step kernels exactly when stateful or a projection");
        }
    }

    /** The other direction: every primitive the DSL can call is in the table. */
    @Test
    void everyDslPrimitiveIsInTheTable() {
        for (hyenac.dsl.check.Primitive schema : Primitives.all().values()) {
            if (schema.role() == hyenac.dsl.check.Primitive.Role.CONFIG) {
                // configures another primitive: an attribute's value, never a node
                assertTrue(Primitive.find(schema.name()).isEmpty(), schema.name());
                assertTrue(EnumSet.allOf(Primitive.class).stream().anyMatch(p -> p.attributes().contains(schema.name())), schema.name());
                continue;
            }
            Primitive p = Primitive.find(schema.name()).orElse(null);
            assertNotNull(p, schema.name() + " has a DSL schema but is not in hyenac.ir.Primitive");
            assertEquals(Primitive.Form.CALL, p.form(), schema.name());
        }
    }
}
