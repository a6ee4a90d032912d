//! The usage report over a realistic week: the HTML page in a real browser (headless Chromium),
//! the PNG chart, the CSV export and the digest card.

use hingebot::report::{chart, csv, digest, html};
use hingebot::usage::{
    entry_days, ChannelKind, Figures, Outcome, Period, QuestionRow, TipRow, UnansweredRow,
    UsageReport, VoteRow,
};
use jiff::civil::{date, Date, Weekday};
use jiff::ToSpan;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Entries people asked about, with their real titles and how popular they are.
const TOPICS: &[(&str, &str, u64)] = &[
    ("lifting-at-work", "Lifting boxes and loads at work", 9),
    (
        "guideline-weights",
        "How much can I lift? Guideline weights and the law",
        7,
    ),
    ("how-to-hip-hinge", "How to do a hip hinge", 6),
    (
        "back-tweak-recovery",
        "I tweaked my back lifting: what now?",
        5,
    ),
    (
        "pushing-and-pulling",
        "Pushing and pulling: roll cages, trolleys and pallet trucks",
        4,
    ),
    ("team-lifts", "Two-person and team lifts", 3),
    ("knee-bend", "How much to bend your knees", 3),
    (
        "existing-back-pain",
        "Hinging when you already have back pain",
        2,
    ),
    (
        "back-belts",
        "Back belts, lifting belts and exoskeletons at work",
        2,
    ),
    ("wall-drill", "The wall drill", 1),
    ("red-flags", "Warning signs: when to get medical help", 0),
];

/// Entries whose answers carry a caution line.
const CAUTIONED: &[&str] = &["back-tweak-recovery", "existing-back-pain"];

fn title_of(id: &str) -> Option<String> {
    TOPICS.iter().find(|t| t.0 == id).map(|t| t.1.to_string())
}

/// A small deterministic random source, so the week looks lived-in but every run is the same.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// Scales `n` by a factor between 0.7 and 1.3.
    fn jitter(&mut self, n: f64) -> u64 {
        (n * (0.7 + (self.next() % 61) as f64 / 100.0)).round() as u64
    }
}

fn the_week() -> Period {
    Period::new(date(2026, 3, 2), date(2026, 3, 8)).unwrap()
}

/// Two weeks of traffic at a depot (the report week busier than the one before), as the store
/// would return it.
fn realistic_figures() -> Figures {
    let week = the_week();
    let mut rng = Lcg(15);
    let mut figures = Figures::default();
    let mut day = week.previous().since();
    while day <= week.until() {
        let busy = match day.weekday() {
            Weekday::Monday => 1.25,
            Weekday::Tuesday | Weekday::Wednesday => 1.0,
            Weekday::Thursday => 0.9,
            Weekday::Friday => 0.75,
            Weekday::Saturday => 0.3,
            Weekday::Sunday => 0.2,
        } * if week.contains(day) { 1.15 } else { 1.0 };
        let mut add = |entry: Option<&str>, outcome: Outcome, n: u64, rng: &mut Lcg| {
            let mention = (n * 5 + 5) / 10;
            let safety = ((n * 3 + 5) / 10).min(n - mention);
            let slash = ((n + 5) / 10).min(n - mention - safety);
            let dm = n - mention - safety - slash;
            for (channel, questions) in [
                (ChannelKind::Mention, mention),
                (ChannelKind::SafetyChannel, safety),
                (ChannelKind::Dm, dm),
                (ChannelKind::Slash, slash),
            ] {
                if questions > 0 {
                    figures.questions.push(QuestionRow {
                        day,
                        entry: entry.map(str::to_string),
                        outcome,
                        channel,
                        questions,
                    });
                }
            }
            rng.next();
        };
        for &(id, _, weight) in TOPICS.iter().filter(|t| t.2 > 0) {
            let n = rng.jitter(weight as f64 * busy);
            let outcome = if CAUTIONED.contains(&id) {
                Outcome::Caution
            } else {
                Outcome::Answer
            };
            add(Some(id), outcome, n, &mut rng);
        }
        let suggest = rng.jitter(5.0 * busy);
        add(
            Some("guideline-weights"),
            Outcome::Suggest,
            suggest,
            &mut rng,
        );
        let abstain = rng.jitter(4.0 * busy);
        add(None, Outcome::Abstain, abstain, &mut rng);
        if matches!(day.weekday(), Weekday::Tuesday | Weekday::Thursday) {
            add(Some("red-flags"), Outcome::RedFlag, 1, &mut rng);
        }
        if day.weekday().to_monday_one_offset() <= 5 {
            figures.tips.push(TipRow { day, posted: 3 });
        }
        day = day.checked_add(1.day()).unwrap();
    }
    let vote = |day: Date, entry: &str, up: u64, down: u64| VoteRow {
        day,
        entry: entry.to_string(),
        up,
        down,
    };
    figures.votes = vec![
        vote(date(2026, 3, 2), "lifting-at-work", 6, 1),
        vote(date(2026, 3, 3), "guideline-weights", 2, 4),
        vote(date(2026, 3, 4), "back-belts", 0, 3),
        vote(date(2026, 3, 5), "how-to-hip-hinge", 5, 0),
        vote(date(2026, 3, 5), "team-lifts", 1, 1),
        vote(date(2026, 2, 25), "lifting-at-work", 3, 2),
    ];
    let unanswered = |text: &str, people: u64, asked: u64, confirmed: bool| UnansweredRow {
        text: text.to_string(),
        people,
        asked,
        confirmed,
    };
    figures.unanswered = vec![
        unanswered("how do i lift a gas cylinder off the van", 4, 5, false),
        unanswered("is it ok to lift with a hangover", 3, 3, false),
        unanswered(
            "my badge [number] does not open the training room",
            2,
            2,
            false,
        ),
        unanswered(
            "what's the <b>max</b> weight for a pallet jack & ramp",
            2,
            3,
            false,
        ),
        unanswered("forklift refresher course dates", 1, 1, true),
        unanswered("ask sarah on 07700 900123 about my shift", 1, 1, false),
    ];
    figures
}

fn realistic_report() -> UsageReport {
    UsageReport::build(&realistic_figures(), the_week(), title_of)
}

// ---------------------------------------------------------------------------------------------
// The HTML page in a real browser.

const CHROMIUM: &str = "/usr/bin/chromium";
/// A phone's viewport: the page must read well at this width.
const PHONE: (u32, u32) = (390, 1200);
const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

/// The browser, or `None` (after saying why) when it is missing outside CI.
fn chromium() -> Option<&'static Path> {
    let path = Path::new(CHROMIUM);
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!(
            "{CHROMIUM} is missing, and CI is set: the HTML report must be checked in a real \
             browser there. .ci/run installs it (apt-get install chromium)."
        );
    }
    eprintln!(
        "SKIPPED: the HTML report's browser test needs {CHROMIUM} (Debian package `chromium`); \
         install it with `apt-get install --no-install-recommends chromium` to run it."
    );
    None
}

/// What headless Chromium made of one page.
struct Rendered {
    screenshot: Vec<u8>,
    /// The browser's console messages (uncaught errors, blocked fetches, CSP violations).
    console: Vec<String>,
}

/// Loads `page` in headless Chromium with a fresh profile and the network features off, and
/// takes a screenshot of a `size` window.
fn render_in_chromium(browser: &Path, page: &Path, size: (u32, u32)) -> Rendered {
    let work = tempfile::tempdir().unwrap();
    let shot = work.path().join("screenshot.png");
    let profile = work.path().join("profile");
    let stderr_path = work.path().join("stderr.txt");
    let stderr = std::fs::File::create(&stderr_path).unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("--window-size={},{}", size.0, size.1))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "Chromium did not finish within {BROWSER_TIMEOUT:?}:\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    assert!(status.success(), "Chromium failed ({status}):\n{log}");
    let screenshot = std::fs::read(&shot)
        .unwrap_or_else(|e| panic!("no screenshot at {}: {e}\n{log}", shot.display()));
    // Chromium logs every console message as `…:CONSOLE…] "message", source: …`.
    let console = log
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    Rendered {
        screenshot,
        console,
    }
}

/// A decoded image: width, height and RGB pixels.
struct Image {
    width: u32,
    height: u32,
    pixels: Vec<[u8; 3]>,
}

fn decode_png(bytes: &[u8]) -> Image {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a sane PNG size")];
    let info = reader.next_frame(&mut buf).expect("PNG image data");
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|p| match channels {
            1 | 2 => [p[0], p[0], p[0]],
            _ => [p[0], p[1], p[2]],
        })
        .collect();
    Image {
        width: info.width,
        height: info.height,
        pixels,
    }
}

/// Asserts the image shows something: many colours, and much of it not the background.
fn assert_not_blank(image: &Image, min_colours: usize) {
    let colours: HashSet<[u8; 3]> = image.pixels.iter().copied().collect();
    assert!(
        colours.len() >= min_colours,
        "only {} distinct colours: looks blank",
        colours.len()
    );
    let background = image.pixels[0];
    let drawn = image.pixels.iter().filter(|&&p| p != background).count();
    assert!(
        drawn * 20 > image.pixels.len(),
        "only {drawn} of {} pixels differ from the background",
        image.pixels.len()
    );
}

#[test]
fn the_html_report_renders_in_headless_chromium_on_a_phone_without_console_errors() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();

    // The console check must be able to fail: a page with a script error is caught.
    let broken = dir.path().join("broken.html");
    std::fs::write(
        &broken,
        "<!doctype html><title>broken</title><p>x</p><script>notDefined()</script>",
    )
    .unwrap();
    let control = render_in_chromium(browser, &broken, PHONE);
    assert!(
        control.console.iter().any(|l| l.contains("notDefined")),
        "this Chromium no longer logs console errors to stderr; the check below would be blind"
    );

    let page = dir.path().join("report.html");
    std::fs::write(&page, html::render(&realistic_report())).unwrap();
    let rendered = render_in_chromium(browser, &page, PHONE);
    assert!(
        rendered.console.is_empty(),
        "console messages:\n{}",
        rendered.console.join("\n")
    );
    let image = decode_png(&rendered.screenshot);
    assert_eq!((image.width, image.height), PHONE);
    assert_not_blank(&image, 32);
    // The report's colours are on screen: the answered blue of the chart and the cards' grey.
    assert!(
        image.pixels.contains(&[0x00, 0x72, 0xb2]),
        "no chart bar visible"
    );

    if std::env::var_os("HINGEBOT_UPDATE_SCREENSHOT").is_some() {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/report-screenshot.png");
        let full = render_in_chromium(browser, &page, (PHONE.0, 2400));
        std::fs::write(&docs, full.screenshot).unwrap();
        eprintln!("wrote {}", docs.display());
    }
}

#[test]
fn the_html_report_shows_the_weeks_figures() {
    let report = realistic_report();
    let page = html::render(&report);
    for expected in [
        "2 Mar 2026 – 8 Mar 2026 (7 days), compared with 23 Feb 2026 – 1 Mar 2026.",
        "Lifting boxes and loads at work",
        "how do i lift a gas cylinder off the van",
        "what&#39;s the &lt;b&gt;max&lt;/b&gt; weight for a pallet jack &amp; ramp",
        "forklift refresher course dates <span class=\"muted\">(confirmed)</span>",
    ] {
        assert!(page.contains(expected), "missing {expected:?}");
    }
    assert!(
        !page.contains("07700"),
        "a one-person question with a phone number is not shown"
    );
    assert!(!page.contains("<b>max</b>"));
}

// ---------------------------------------------------------------------------------------------
// The digest's PNG chart.

#[test]
fn the_digest_chart_is_a_png_of_the_promised_size_showing_the_week() {
    let png_bytes = chart::render(&realistic_report()).unwrap();
    let image = decode_png(&png_bytes);
    assert_eq!((image.width, image.height), chart::SIZE);
    // Five reply colours, antialiased text and grid lines.
    assert_not_blank(&image, 64);
    for (name, rgb) in [
        ("answered", [0x00, 0x72, 0xb2]),
        ("did you mean", [0x56, 0xb4, 0xe9]),
        ("not answered", [0x99, 0x99, 0x99]),
        ("warning signs", [0xd5, 0x5e, 0x00]),
        ("caution", [0xe6, 0x9f, 0x00]),
    ] {
        let n = image.pixels.iter().filter(|&&p| p == rgb).count();
        assert!(n > 400, "{name}: only {n} pixels");
    }
    if std::env::var_os("HINGEBOT_UPDATE_SCREENSHOT").is_some() {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/digest-chart.png");
        std::fs::write(&docs, &png_bytes).unwrap();
        eprintln!("wrote {}", docs.display());
    }
}

// ---------------------------------------------------------------------------------------------
// The CSV export and the digest card.

/// Splits one CSV record (without its line end) the way a spreadsheet reads it.
fn parse_csv_record(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

#[test]
fn the_csv_has_one_row_per_entry_per_day_adding_up_to_the_reports_totals() {
    let report = realistic_report();
    let rows = entry_days(&realistic_figures(), the_week(), title_of);
    let text = csv::render(&rows);
    let mut lines = text.split_terminator("\r\n");
    assert_eq!(lines.next(), Some(csv::HEADER));
    let columns = csv::HEADER.split(',').count();
    let column = |name: &str| csv::HEADER.split(',').position(|c| c == name).unwrap();
    let mut seen = HashSet::new();
    let mut questions = 0;
    let mut redflags = 0;
    for line in lines {
        let fields = parse_csv_record(line);
        assert_eq!(fields.len(), columns, "{line}");
        assert!(
            seen.insert((fields[0].to_string(), fields[1].to_string())),
            "two rows for {} {}",
            fields[0],
            fields[1]
        );
        if fields[1] == "back-belts" {
            assert_eq!(
                fields[2],
                "Back belts, lifting belts and exoskeletons at work"
            );
        }
        let n = |name: &str| fields[column(name)].parse::<u64>().unwrap();
        let by_outcome: u64 = ["answer", "suggest", "abstain", "redflag", "caution"]
            .into_iter()
            .map(n)
            .sum();
        let by_channel: u64 = ["dm", "mention", "safety_channel", "slash"]
            .into_iter()
            .map(n)
            .sum();
        assert_eq!(
            (by_outcome, by_channel),
            (n("questions"), n("questions")),
            "{line}"
        );
        questions += n("questions");
        redflags += n("redflag");
    }
    assert_eq!(questions, report.questions.current);
    assert_eq!(redflags, report.red_flag_replies().current);
    let days: HashSet<&str> = seen.iter().map(|(d, _)| d.as_str()).collect();
    assert_eq!(days.len(), 7, "every day of the week has rows");
}

#[test]
fn the_digest_card_has_the_weeks_figures_and_a_stub_for_each_unanswered_question() {
    let report = realistic_report();
    let card = digest::DigestCard::new(&report);
    assert_eq!(card.top_topics.len(), 5);
    assert_eq!(card.top_topics[0].title, "Lifting boxes and loads at work");
    assert_eq!(
        (
            card.red_flag_replies.this_week,
            card.red_flag_replies.last_week
        ),
        (2, 2)
    );
    assert_eq!(
        (card.tips_posted.this_week, card.tips_posted.last_week),
        (15, 15)
    );
    let questions = &card.figures[0];
    assert_eq!(
        (questions.this_week, questions.last_week),
        (report.questions.current, report.questions.previous)
    );
    assert!(questions.this_week > questions.last_week);
    assert!(questions.change.starts_with('+'), "{}", questions.change);
    let unanswered: Vec<&str> = card
        .top_unanswered
        .iter()
        .map(|q| q.text.as_str())
        .collect();
    assert_eq!(unanswered.len(), 5, "{unanswered:?}");
    assert!(!unanswered.iter().any(|q| q.contains("07700")));
    for (question, full) in card.top_unanswered.iter().zip(&report.top_unanswered) {
        let key = digest::kb_stub_key(&question.stub_action).unwrap();
        assert_eq!(key, digest::question_key(&full.text));
        let stub: toml::Table = digest::kb_stub(&full.text).parse().unwrap();
        assert_eq!(
            stub["entry"][0]["questions"][0].as_str(),
            Some(full.text.as_str())
        );
    }
    assert_eq!(card.least_helpful[0].entry, "guideline-weights");
}
