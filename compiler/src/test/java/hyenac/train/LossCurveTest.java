package hyenac.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class LossCurveTest {
    static Document parse(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    static Element byClass(Document d, String tag, String cls) {
        NodeList l = d.getElementsByTagName(tag);
        for (int i = 0; i < l.getLength(); i++) if (((Element) l.item(i)).getAttribute("class").equals(cls)) return (Element) l.item(i);
        throw new AssertionError("no " + tag + " of class " + cls);
    }

    @Test
    void aLongRunIsAveragedIntoASmallPictureWithTheLossFallingAndAccuracyOnItsOwnAxis(@TempDir Path dir) throws Exception {
        LossCurve c = new LossCurve("hyenac train: task mqar (keys 8, pairs 2) & <more>", "accuracy");
        for (int s = 1; s <= 5000; s++) c.loss(s, 5.0 / Math.sqrt(s));
        c.evaluation(2500, 0.5);
        c.evaluation(5000, 1.0);
        c.write(dir.resolve("loss.svg"));
        Document d = parse(Files.readString(dir.resolve("loss.svg")));
        String[] loss = byClass(d, "polyline", "loss").getAttribute("points").split(" ");
        assertEquals(LossCurve.MAX_POINTS, loss.length);
        double firstY = Double.parseDouble(loss[0].split(",")[1]), lastY = Double.parseDouble(loss[loss.length - 1].split(",")[1]);
        assertTrue(firstY < lastY, "the falling loss goes down the picture");
        assertEquals(2, d.getElementsByTagName("circle").getLength());
        String[] acc = byClass(d, "polyline", "accuracy").getAttribute("points").split(" ");
        assertEquals(2, acc.length);
        double top = Double.parseDouble(acc[1].split(",")[1]), half = Double.parseDouble(acc[0].split(",")[1]);
        assertEquals(40, top, 1e-9, "accuracy 1 at the top of the plot");
        assertTrue(half > top);
        assertTrue(Files.readString(dir.resolve("loss.svg")).contains("&amp; &lt;more&gt;"), "the title escaped");
        assertTrue(Files.list(dir).noneMatch(p -> p.toString().endsWith(".tmp")));
    }

    @Test
    void ticksAreRoundNumbersAroundTheRange() {
        assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, LossCurve.ticks(0, 4.6), 1e-12);
        assertArrayEquals(new double[] {0, 200, 400, 600, 800, 1000}, LossCurve.ticks(0, 1000), 1e-9);
        assertArrayEquals(new double[] {2.2, 2.3, 2.4, 2.5, 2.6}, LossCurve.ticks(2.23, 2.58), 1e-9);
    }
}
