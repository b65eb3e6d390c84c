package org.slim4j.cli;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.slim4j.util.AtomicFiles;
import org.slim4j.util.BadInputException;

/**
 * The compress report's chart: file size against mean KL divergence to the original, slim4j's file beside reference
 * points (other quantizations of the same model, e.g. llama.cpp's table from a CSV), KLD on a log axis. Drawn by
 * XChart into a PNG, headless: the CLI runs on servers without a display, and only this class touches AWT.
 */
final class SizeKldChart {
    /**
     * slim4j's points are drawn in this colour, the reference points in {@link #REFERENCE} (the title says which is
     * which; no legend, so a colour in the picture is a point's).
     */
    static final Color SLIM4J = new Color(214, 39, 40), REFERENCE = new Color(31, 119, 180);

    /** A quantization of the model: its name, file bytes and mean KL divergence to the original. */
    record Point(String name, long bytes, double kld) {}

    private SizeKldChart() {}

    /**
     * Points from CSV lines {@code name,bytes,kld} (blank lines, {@code #} comments and a header line whose second
     * field is not a number are skipped); a malformed line is bad input naming the file and line.
     */
    static List<Point> read(Path csv) {
        List<String> lines;
        try {
            lines = Files.readAllLines(csv);
        } catch (IOException e) {
            throw new BadInputException(csv, "--reference-points", "cannot be read: " + e.getMessage());
        }
        List<Point> points = new ArrayList<>();
        boolean header = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] f = line.split(",");
            if (points.isEmpty() && !header && f.length == 3 && !f[1].strip().matches("[0-9]+")) {
                header = true; // name,bytes,kld
                continue;
            }
            if (f.length != 3) throw new BadInputException(csv, "line " + (i + 1), "expected name,bytes,kld, got '" + line + "'");
            try {
                long bytes = Long.parseLong(f[1].strip());
                double kld = Double.parseDouble(f[2].strip());
                if (bytes <= 0 || !(kld > 0) || Double.isInfinite(kld)) throw new NumberFormatException("bytes and kld must be > 0");
                points.add(new Point(f[0].strip(), bytes, kld));
            } catch (NumberFormatException e) {
                throw new BadInputException(csv, "line " + (i + 1), "bytes and kld must be positive numbers, got '" + line + "'");
            }
        }
        if (points.isEmpty()) throw new BadInputException(csv, "--reference-points", "has no name,bytes,kld line");
        return points;
    }

    /** Draws slim4j's points and the reference points into {@code png} (written atomically). */
    static void write(Path png, String title, List<Point> slim4j, List<Point> reference) {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(600).title(title + " (red: slim4j, blue: reference)").xAxisTitle("file size (MB)").yAxisTitle("mean KL divergence to the original (log)").build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(11);
        chart.getStyler().setLegendVisible(false);
        if (!reference.isEmpty()) series(chart, "reference", reference, REFERENCE);
        if (!slim4j.isEmpty()) series(chart, "slim4j", slim4j, SLIM4J);
        List<Point> all = new ArrayList<>(reference);
        all.addAll(slim4j);
        double lo = all.stream().mapToDouble(p -> p.bytes() / 1e6).min().orElse(0), hi = all.stream().mapToDouble(p -> p.bytes() / 1e6).max().orElse(1);
        double perPixel = Math.max(hi - lo, 1e-3) / 780; // the plot is ~780 of the 900 pixels wide
        for (Point p : all) label(chart, p, perPixel);
        try {
            byte[] bytes = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
            AtomicFiles.write(png, tmp -> Files.write(tmp, bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + png, e);
        }
    }

    private static void series(XYChart chart, String name, List<Point> points, Color color) {
        XYSeries s = chart.addSeries(name, points.stream().map(p -> p.bytes() / 1e6).toList(), points.stream().map(Point::kld).toList());
        s.setMarkerColor(color);
        s.setMarker(SeriesMarkers.CIRCLE);
    }

    /** The point's name, centred by XChart on its x: shifted right by half its width (~7 pixels a character) past the marker. */
    private static void label(XYChart chart, Point p, double perPixel) {
        double shift = (p.name().length() * 3.6 + 10) * perPixel;
        org.knowm.xchart.AnnotationText a = new org.knowm.xchart.AnnotationText(p.name(), p.bytes() / 1e6 + shift, p.kld(), false);
        chart.addAnnotation(a);
    }
}
