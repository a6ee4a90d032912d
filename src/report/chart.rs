//! The weekly digest's picture: questions per day stacked by reply kind, and the top topics as
//! bars, drawn into a PNG with plotters' bitmap backend.
//!
//! Text is drawn with DejaVu Sans compiled into the binary (`assets/fonts/`), so the chart looks
//! the same on a server without any fonts installed.

use super::{colour, period_text, shorten};
use crate::usage::{DayCounts, Outcome, Topic, UsageReport};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::sync::OnceLock;

/// The chart's size in pixels: wide enough to stay legible when Discord shrinks it in an embed.
pub const SIZE: (u32, u32) = (800, 600);
/// The font family name the embedded font is registered under.
const FAMILY: &str = "sans-serif";
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

const BACKGROUND: RGBColor = RGBColor(255, 255, 255);
const INK: RGBColor = RGBColor(0x1b, 0x1b, 0x1b);
const MUTED: RGBColor = RGBColor(0x59, 0x59, 0x59);
const GRID: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);

/// Heights of the three bands, top to bottom: the daily chart, its legend, the topics.
const DAYS_HEIGHT: u32 = 340;
const LEGEND_HEIGHT: u32 = 40;
/// Topic titles longer than this are shortened.
const TOPIC_LABEL_CHARS: usize = 70;

/// Why the chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the chart font (assets/fonts/DejaVuSans.ttf) could not be loaded")]
    Font,
    #[error("cannot draw the chart: {0}")]
    Draw(String),
    #[error("cannot encode the chart as PNG: {0}")]
    Encode(#[from] png::EncodingError),
}

fn drawing(e: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(e.to_string())
}

fn rgb(outcome: Outcome) -> RGBColor {
    let (r, g, b) = colour(outcome);
    RGBColor(r, g, b)
}

fn font(size: u32, color: &RGBColor) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(color)
}

/// Registers the embedded font with plotters, once per process.
fn register_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ChartError::Font)
    }
}

/// Draws the report's chart and returns it as PNG bytes of [`SIZE`].
pub fn render(report: &UsageReport) -> Result<Vec<u8>, ChartError> {
    register_font()?;
    let (width, height) = SIZE;
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        root.fill(&BACKGROUND).map_err(drawing)?;
        let (days_area, rest) = root.split_vertically(DAYS_HEIGHT);
        let (legend_area, topics_area) = rest.split_vertically(LEGEND_HEIGHT);
        let title = format!("Questions per day, {}", period_text(&report.period));
        draw_days(&days_area, &title, &report.days)?;
        draw_legend(&legend_area)?;
        draw_topics(&topics_area, &report.top_topics)?;
        root.present().map_err(drawing)?;
    }
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(png_bytes)
}

/// A round axis top at or above `max`, with four or five steps.
fn axis_top(max: u64) -> u64 {
    let mut magnitude = 1u64;
    loop {
        for factor in [1, 2, 5] {
            let step = magnitude.saturating_mul(factor);
            if max.div_ceil(step) <= 5 {
                return max.div_ceil(step).max(1).saturating_mul(step);
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

fn draw_days(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    title: &str,
    days: &[DayCounts],
) -> Result<(), ChartError> {
    let n = u32::try_from(days.len()).unwrap_or(u32::MAX).max(1);
    let max = days.iter().map(|d| d.total).max().unwrap_or(0);
    let top = axis_top(max);
    let mut chart = ChartBuilder::on(area)
        .caption(title, font(24, &INK))
        .margin_top(12)
        .margin_left(12)
        .margin_right(20)
        .x_label_area_size(48)
        .y_label_area_size(56)
        // A segmented range has one segment per value, both ends included.
        .build_cartesian_2d((0..n - 1).into_segmented(), 0..top)
        .map_err(drawing)?;
    // A week or so: every day. Longer: about seven evenly spaced dates.
    let every_day = days.len() <= 8;
    let label_every = if every_day { 1 } else { days.len().div_ceil(7) };
    let x_label = |v: &SegmentValue<u32>| -> String {
        let SegmentValue::CenterOf(i) = v else {
            return String::new();
        };
        let i = *i as usize;
        match days.get(i) {
            Some(day) if every_day => day.date.strftime("%a %-d").to_string(),
            Some(day) if i.is_multiple_of(label_every) => day.date.strftime("%-d %b").to_string(),
            _ => String::new(),
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(days.len().max(1))
        .x_label_formatter(&x_label)
        .y_labels(6)
        .y_label_formatter(&|v| v.to_string())
        .label_style(font(16, &MUTED))
        .axis_style(MUTED)
        .bold_line_style(GRID)
        .light_line_style(BACKGROUND)
        .draw()
        .map_err(drawing)?;
    let (plot_width, _) = chart.plotting_area().dim_in_pixel();
    let gap = (plot_width / n / 7).max(1);
    for (i, day) in days.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        let mut base = 0;
        for outcome in Outcome::ALL {
            let count = *day.questions.get(outcome);
            if count == 0 {
                continue;
            }
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(i), base),
                    (SegmentValue::Exact(i + 1), base + count),
                ],
                rgb(outcome).filled(),
            );
            bar.set_margin(0, 0, gap, gap);
            chart.draw_series(std::iter::once(bar)).map_err(drawing)?;
            base += count;
        }
    }
    if max == 0 {
        let message = "No questions in this period";
        let style = font(20, &MUTED);
        let (w, h) = area.dim_in_pixel();
        let (text_w, _) = area.estimate_text_size(message, &style).map_err(drawing)?;
        let x = (w.saturating_sub(text_w) / 2) as i32;
        area.draw_text(message, &style, (x, h as i32 / 2))
            .map_err(drawing)?;
    }
    Ok(())
}

fn draw_legend(area: &DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), ChartError> {
    let style = font(16, &INK);
    let mut x = 68;
    for outcome in Outcome::ALL {
        area.draw(&Rectangle::new(
            [(x, 10), (x + 14, 24)],
            rgb(outcome).filled(),
        ))
        .map_err(drawing)?;
        area.draw_text(outcome.label(), &style, (x + 20, 9))
            .map_err(drawing)?;
        let (w, _) = area
            .estimate_text_size(outcome.label(), &style)
            .map_err(drawing)?;
        x += 20 + w as i32 + 22;
    }
    Ok(())
}

fn draw_topics(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    topics: &[Topic],
) -> Result<(), ChartError> {
    const LEFT: i32 = 20;
    const ROW: i32 = 36;
    area.draw_text("Top topics", &font(22, &INK), (LEFT, 8))
        .map_err(drawing)?;
    if topics.is_empty() {
        return area
            .draw_text(
                "No questions were answered in this period",
                &font(16, &MUTED),
                (LEFT, 44),
            )
            .map_err(drawing);
    }
    let (width, _) = area.dim_in_pixel();
    let bar_space = width as i32 - 2 * LEFT - 60;
    let max = topics.iter().map(|t| t.questions).max().unwrap_or(1).max(1);
    let fill = rgb(Outcome::Answer);
    for (i, topic) in topics.iter().enumerate() {
        let top = 38 + ROW * i32::try_from(i).unwrap_or(0);
        area.draw_text(
            &shorten(&topic.title, TOPIC_LABEL_CHARS),
            &font(15, &INK),
            (LEFT, top),
        )
        .map_err(drawing)?;
        let length = ((bar_space as f64 * topic.questions as f64 / max as f64) as i32).max(2);
        area.draw(&Rectangle::new(
            [(LEFT, top + 18), (LEFT + length, top + 32)],
            fill.filled(),
        ))
        .map_err(drawing)?;
        area.draw_text(
            &topic.questions.to_string(),
            &font(15, &MUTED),
            (LEFT + length + 8, top + 17),
        )
        .map_err(drawing)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::{ChannelKind, Figures, Period, QuestionRow};
    use jiff::civil::date;

    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    fn pixel_count(rgb: &[u8], colour: (u8, u8, u8)) -> usize {
        rgb.chunks_exact(3)
            .filter(|p| (p[0], p[1], p[2]) == colour)
            .count()
    }

    #[test]
    fn the_chart_is_a_png_of_the_promised_size_with_bars_in_each_reply_colour() {
        let week = Period::new(date(2026, 3, 2), date(2026, 3, 8)).unwrap();
        let figures = Figures {
            questions: Outcome::ALL
                .iter()
                .enumerate()
                .map(|(i, &outcome)| QuestionRow {
                    day: date(2026, 3, 2 + i as i8),
                    entry: Some("wall-drill".to_string()),
                    outcome,
                    channel: ChannelKind::Dm,
                    questions: 3,
                })
                .collect(),
            ..Figures::default()
        };
        let report = UsageReport::build(&figures, week, |_| None);
        let png_bytes = render(&report).unwrap();
        let (w, h, rgb) = decode(&png_bytes);
        assert_eq!((w, h), SIZE);
        for outcome in Outcome::ALL {
            // Legend swatch (14×14) plus a bar: far more than a swatch alone.
            assert!(
                pixel_count(&rgb, colour(outcome)) > 14 * 14 * 3,
                "{outcome:?} has no bar"
            );
        }
    }

    #[test]
    fn an_empty_week_still_draws_axes_legend_and_text() {
        let week = Period::new(date(2026, 3, 2), date(2026, 3, 8)).unwrap();
        let report = UsageReport::build(&Figures::default(), week, |_| None);
        let (_, _, rgb) = decode(&render(&report).unwrap());
        let ink = pixel_count(&rgb, (0x1b, 0x1b, 0x1b));
        assert!(ink > 500, "text was drawn ({ink} ink pixels)");
        let answered = pixel_count(&rgb, colour(Outcome::Answer));
        assert!(answered < 20 * 20, "only the legend swatch: {answered}");
    }

    #[test]
    fn a_quarter_of_a_year_fits_the_same_picture() {
        let quarter = Period::ending(date(2026, 3, 8), 90).unwrap();
        let report = UsageReport::build(&Figures::default(), quarter, |_| None);
        let (w, h, _) = decode(&render(&report).unwrap());
        assert_eq!((w, h), SIZE);
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(axis_top(0), 1);
        assert_eq!(axis_top(7), 8);
        assert_eq!(axis_top(61), 80);
        assert_eq!(axis_top(u64::MAX), u64::MAX);
    }
}
