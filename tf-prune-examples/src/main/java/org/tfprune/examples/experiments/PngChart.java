package org.tfprune.examples.experiments;

import static com.google.common.base.Preconditions.checkArgument;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * An x-y chart written as a PNG with XChart: lines and point series, optional logarithmic x
 * axis, optional legend. Collect series, then {@link #save}.
 */
public final class PngChart {
  private static final int WIDTH = 900;
  private static final int HEIGHT = 560;

  private record Series(String name, double[] x, double[] y, boolean line, Color color) {}

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final List<Series> series = new ArrayList<>();
  private boolean logX;
  private boolean logY;
  private boolean legend = true;
  private Double yMin;
  private Double yMax;

  private PngChart(String title, String xLabel, String yLabel) {
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
  }

  /** A chart with a title and axis labels. */
  public static PngChart of(String title, String xLabel, String yLabel) {
    return new PngChart(title, xLabel, yLabel);
  }

  /** A logarithmic x axis (every x must be positive). */
  public PngChart logX() {
    logX = true;
    return this;
  }

  /** A logarithmic y axis (every y must be positive). */
  public PngChart logY() {
    logY = true;
    return this;
  }

  /** No legend (for many unnamed lines). */
  public PngChart noLegend() {
    legend = false;
    return this;
  }

  /** Fixes the y range. */
  public PngChart yRange(double min, double max) {
    checkArgument(min < max, "empty y range [%s, %s]", min, max);
    yMin = min;
    yMax = max;
    return this;
  }

  /** A line through the points, in the chart's next colour. */
  public PngChart line(String name, double[] x, double[] y) {
    return add(name, x, y, true, null);
  }

  /** A line in the given colour. */
  public PngChart line(String name, double[] x, double[] y, Color color) {
    return add(name, x, y, true, color);
  }

  /** Unconnected points. */
  public PngChart points(String name, double[] x, double[] y) {
    return add(name, x, y, false, null);
  }

  /** Unconnected points in the given colour. */
  public PngChart points(String name, double[] x, double[] y, Color color) {
    return add(name, x, y, false, color);
  }

  private PngChart add(String name, double[] x, double[] y, boolean line, Color color) {
    checkArgument(x.length == y.length && x.length > 0, "series '%s' needs as many x as y "
        + "values, at least one; got %s and %s", name, x.length, y.length);
    checkArgument(series.stream().noneMatch(s -> s.name().equals(name)),
        "series '%s' is already in chart '%s'", name, title);
    series.add(new Series(name, x.clone(), y.clone(), line, color));
    return this;
  }

  /** Renders the chart and writes it to {@code file} as a PNG. */
  public void save(Path file) {
    checkArgument(!series.isEmpty(), "chart '%s' has no series", title);
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle(xLabel).yAxisTitle(yLabel).build();
    XYStyler styler = chart.getStyler();
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setPlotBackgroundColor(Color.WHITE);
    styler.setLegendPosition(Styler.LegendPosition.OutsideE);
    styler.setLegendVisible(legend);
    styler.setMarkerSize(7);
    styler.setXAxisLogarithmic(logX);
    styler.setYAxisLogarithmic(logY);
    styler.setYAxisLogarithmicDecadeOnly(false); // errors often span less than a decade
    styler.setYAxisMin(yMin);
    styler.setYAxisMax(yMax);
    for (Series s : series) {
      XYSeries xy = chart.addSeries(s.name(), s.x(), s.y());
      if (s.line()) {
        xy.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line).setMarker(SeriesMarkers.NONE)
            .setLineStyle(new BasicStroke(1.6f));
      } else {
        xy.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      }
      if (s.color() != null) {
        xy.setLineColor(s.color());
        xy.setMarkerColor(s.color());
      }
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the plot " + file + ": " + e.getMessage(), e);
    }
  }
}
