package hyenac.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VerifierTest {
    /** tokens → embedding → linear 4→8, a tiny valid graph to break in different ways. */
    static Graph.Builder valid() {
        Graph.Builder b = new Graph.Builder();
        int tokens = b.newValue(new TensorType(DType.I64, List.of(Dim.B, Dim.L)));
        int x = b.newValue(TensorType.activation(DType.FP32, 4));
        int y = b.newValue(TensorType.activation(DType.FP32, 8));
        b.input(tokens).output(y);
        b.weight(new Weight("embedding.weight", DType.FP32, List.of(16L, 4L), ""));
        b.weight(new Weight("p.weight", DType.FP32, List.of(8L, 4L), ""));
        b.add(new Node(b.nextNodeId(), "embedding", Map.of("vocab", 16L), List.of(tokens), List.of(x), Map.of("weight", "embedding.weight"), "embedding", List.of()));
        b.add(new Node(b.nextNodeId(), "linear", Map.of("features", 8L), List.of(x), List.of(y), Map.of("weight", "p.weight"), "p", List.of()));
        return b;
    }

    @Test
    void aValidGraphHasNoProblems() {
        assertEquals(List.of(), Verifier.problems(valid().build()));
    }

    @Test
    void useBeforeDefinitionIsCaught() {
        Graph.Builder b = valid();
        Node linear = b.nodes().removeLast();
        b.nodes().addFirst(linear);
        assertTrue(Verifier.problems(b.build()).stream().anyMatch(p -> p.contains("used before it is defined")));
    }

    @Test
    void undeclaredWeightsUnknownOpsAndWrongShapesAreCaught() {
        Graph.Builder b = valid();
        b.weight(new Weight("p.weight", DType.FP32, List.of(8L, 5L), ""));
        int z = b.newValue(TensorType.activation(DType.FP32, 8));
        b.add(new Node(b.nextNodeId(), "frobnicate", Map.of(), List.of(1), List.of(z), Map.of("w", "nope"), "", List.of()));
        List<String> problems = Verifier.problems(b.build());
        assertTrue(problems.stream().anyMatch(p -> p.contains("unknown op")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.contains("nope is not declared")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.contains("does not map 4 to 8")), problems.toString());
        assertThrows(IllegalStateException.class, () -> Verifier.verify(b.build(), "a test"));
    }

    @Test
    void aValueDefinedTwiceIsCaught() {
        Graph.Builder b = valid();
        Node last = b.nodes().getLast();
        b.add(new Node(b.nextNodeId(), "gelu", Map.of(), List.of(1), last.results(), Map.of(), "", List.of()));
        assertTrue(Verifier.problems(b.build()).stream().anyMatch(p -> p.contains("defined twice")));
    }

    @Test
    void attributesAndWeightsThePrimitiveDoesNotHaveAreCaught() {
        Graph.Builder b = valid();
        Node linear = b.nodes().removeLast();
        b.add(new Node(linear.id(), "linear", Map.of("features", 8L, "lenght", 3L), linear.operands(), linear.results(),
                Map.of("wieght", "p.weight"), "p", List.of()));
        List<String> problems = Verifier.problems(b.build());
        assertTrue(problems.stream().anyMatch(p -> p.contains("attribute lenght is not one of linear's [features, bias]")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.contains("binds no weight weight")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.contains("linear has no weight role wieght")), problems.toString());
    }

    @Test
    void primitivesAreFoundByTheirOpNames() {
        for (Primitive p : Primitive.values()) {
            assertEquals(p, Primitive.of(p.op()));
            assertEquals(p.op(), p.toString(), "messages and kernel signatures print the op name");
        }
        assertTrue(Primitive.find("frobnicate").isEmpty());
        assertThrows(IllegalArgumentException.class, () -> Primitive.of("frobnicate"));
    }
}
