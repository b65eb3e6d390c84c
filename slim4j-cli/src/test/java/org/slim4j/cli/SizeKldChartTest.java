package org.slim4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.util.BadInputException;

/** The report's size-vs-KLD PNG: decodable, and each series' colour is there exactly when it has points. */
class SizeKldChartTest {
    static final Path LLAMA_CPP = Path.of(System.getProperty("slim4j.home", "..")).resolve("docs/bench/trained-llama-50m-llamacpp.csv");

    private static long pixels(BufferedImage img, Color c) {
        long n = 0;
        for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) if ((img.getRGB(x, y) & 0xFFFFFF) == (c.getRGB() & 0xFFFFFF)) n++;
        return n;
    }

    @Test
    void pngHoldsBothSeries(@TempDir Path dir) throws Exception {
        List<SizeKldChart.Point> ref = SizeKldChart.read(LLAMA_CPP);
        assertEquals(10, ref.size());
        assertEquals(new SizeKldChart.Point("Q2_K+imatrix", 31667808, 0.134867), ref.get(8));
        Path png = dir.resolve("c.png");
        SizeKldChart.write(png, "trained-llama-50m", List.of(new SizeKldChart.Point("slim4j", 31659680, 0.015853)), ref);
        assertTrue(Files.size(png) > 0);
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "a PNG ImageIO decodes");
        assertEquals(900, img.getWidth());
        long ours = pixels(img, SizeKldChart.SLIM4J), theirs = pixels(img, SizeKldChart.REFERENCE);
        assertTrue(ours > 20, "slim4j's marker: " + ours + " pixels");
        assertTrue(theirs > 10 * 20, "ten reference markers: " + theirs + " pixels");

        Path only = dir.resolve("ref.png");
        SizeKldChart.write(only, "trained-llama-50m", List.of(), ref);
        BufferedImage img2 = ImageIO.read(only.toFile());
        assertEquals(0, pixels(img2, SizeKldChart.SLIM4J), "no slim4j point, no slim4j colour");
        assertTrue(pixels(img2, SizeKldChart.REFERENCE) > 0);
    }

    @Test
    void badCsvLinesNameFileAndLine(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "name,bytes,kld\nQ4_K_M,37553760,0.0098\nQ2_K,lots,0.13\n");
        BadInputException e = assertThrows(BadInputException.class, () -> SizeKldChart.read(csv));
        assertTrue(e.getMessage().contains("bad.csv") && e.getMessage().contains("line 3"), e.getMessage());
        Files.writeString(csv, "Q4_K_M,37553760\n");
        e = assertThrows(BadInputException.class, () -> SizeKldChart.read(csv));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
        Files.writeString(csv, "# nothing\n");
        assertThrows(BadInputException.class, () -> SizeKldChart.read(csv));
    }
}
