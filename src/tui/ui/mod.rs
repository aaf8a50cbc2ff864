//! Drawing: `render(&App, &mut Frame)` is a pure function of the state. Each pane has its own
//! file; `frame` holds the status bar, tabs and footer; this one the shared helpers.
//!
//! Every string that came from a log, a rule or a file name goes through [`text`] or [`fit`]
//! (sanitize, then cut) before it reaches a `Span`.

mod exclusions;
mod explain;
mod frame;
mod lists;
mod overlay;
mod rules;
mod search;
mod side;
mod timeline;
mod tree;
mod tstats;

use super::action::Pane;
use super::app::App;
use super::filter::Pattern;
use super::layout;
use super::screen::{PaneRows, ScreenMap};
use super::theme::Theme;
use ratatui::Frame;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// Smallest screen the full workbench draws on; smaller ones get a one-line notice.
const MIN_WIDTH: u16 = 40;
const MIN_HEIGHT: u16 = 10;

/// Draw the whole screen.
pub fn render(app: &App, f: &mut Frame) {
    draw(app, f);
}

/// Draw the whole screen; returns where the panes, tabs and rows went (for the mouse).
pub fn draw(app: &App, f: &mut Frame) -> ScreenMap {
    let mut map = ScreenMap::default();
    let area = f.area();
    f.render_widget(Block::default().style(app.theme.base()), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "huntbench: enlarge the terminal ({}x{}, needs {MIN_WIDTH}x{MIN_HEIGHT})",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(msg)
                .style(app.theme.base())
                .wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return map;
    }
    let areas = layout::compute(area, app.focus, &app.shown);
    frame::status(app, f, areas.status);
    if let Some(t) = areas.tabs {
        map.tabs = frame::tabs(app, f, t);
    }
    for (pane, rect) in &areas.panes {
        let lines = match pane {
            Pane::Events => lists::events(app, f, *rect),
            Pane::Hits => lists::hits(app, f, *rect),
            Pane::Predicates => explain::predicates(app, f, *rect),
            Pane::Exclusions => exclusions::exclusions(app, f, *rect),
            Pane::Mitre => side::mitre(app, f, *rect),
            Pane::Hosts => side::hosts(app, f, *rect),
            Pane::Rules => rules::rules(app, f, *rect),
            Pane::Timeline => {
                map.timeline = timeline::timeline(app, f, *rect);
                Vec::new()
            }
        };
        map.panes
            .push((*pane, *rect, PaneRows::inside(*rect, lines)));
    }
    frame::footer(app, f, areas.footer);
    overlay::render(app, f, area);
    map
}

/// Sanitized log text.
pub(crate) fn text(s: &str) -> String {
    crate::sanitize::sanitize(s).into_owned()
}

/// Sanitized and cut to `width` characters (with `…` when cut).
pub(crate) fn fit(s: &str, width: usize) -> String {
    if width == 0 {
        return String::new();
    }
    crate::sanitize::clip(s, width)
}

/// Rule text on one line: line breaks and tabs (multi-line queries) become spaces, runs of
/// blanks one space, before it is sanitized.
pub(crate) fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = false;
    for c in s.chars() {
        if matches!(c, '\n' | '\r' | '\t' | ' ') {
            if !blank && !out.is_empty() {
                out.push(' ');
            }
            blank = true;
        } else {
            out.push(c);
            blank = false;
        }
    }
    let t = out.trim_end().len();
    out.truncate(t);
    text(&out)
}

/// Skip `n` characters (horizontal scroll), sanitizing first so escapes scroll as text.
pub(crate) fn skip_chars(s: &str, n: usize) -> String {
    let s = crate::sanitize::sanitize(s);
    if n == 0 {
        return s.into_owned();
    }
    let t: String = s.chars().skip(n).collect();
    format!("…{t}")
}

/// `12,408`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count in at most six characters, never losing its leading digits: `9,999`, `12.3k`,
/// `906k`, `1.2M`.
pub(crate) fn compact(n: u64) -> String {
    match n {
        0..=9_999 => thousands(n),
        10_000..=99_949 => format!("{:.1}k", n as f64 / 1e3),
        99_950..=999_499 => format!("{}k", (n + 500) / 1_000),
        999_500..=99_949_999 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{}M", n.saturating_add(500_000) / 1_000_000),
    }
}

/// A logged timestamp with its date (`2020-08-01T07:53:13.181Z` → `2020-08-01 07:53:13`;
/// to the minute when `narrow`), so events of different days never look unsorted.
pub(crate) fn when(ts: &str, narrow: bool) -> String {
    let (date, time) = match ts.split_once(['T', ' ']) {
        Some((d, t)) => (d, t),
        None => return fit(ts, if narrow { 16 } else { 19 }),
    };
    let time = time.get(..if narrow { 5 } else { 8 }).unwrap_or(time);
    fit(&format!("{date} {time}"), if narrow { 16 } else { 19 })
}

/// Width of [`when`]'s text.
pub(crate) fn when_width(narrow: bool) -> u16 {
    if narrow { 16 } else { 19 }
}

/// Spans of `s` (already sanitized and cut) with the filter's words emphasised. On a
/// selected row only the modifier marks them, so the selection colours stay readable.
pub(crate) fn highlighted(
    s: String,
    pat: Option<&Pattern>,
    base: Style,
    t: &Theme,
    selected: bool,
) -> Vec<Span<'static>> {
    let ranges = pat.map(|p| p.ranges(&s)).unwrap_or_default();
    if ranges.is_empty() {
        return vec![Span::styled(s, base)];
    }
    let hl = match_style(base, t, selected);
    (marked_pieces(&s, &ranges).into_iter())
        .filter(|(piece, _)| !piece.is_empty())
        .map(|(piece, hit)| Span::styled(piece.to_string(), if hit { hl } else { base }))
        .collect()
}

/// `s` cut at `ranges` (sorted, disjoint byte ranges of matches): every piece in order, with
/// whether it is a match; pieces may be empty. A range that does not fall on character
/// boundaries is left out (its text stays in the piece around it).
pub(crate) fn marked_pieces<'a>(s: &'a str, ranges: &[(usize, usize)]) -> Vec<(&'a str, bool)> {
    let mut out = Vec::with_capacity(2 * ranges.len() + 1);
    let mut at = 0;
    for &(a, b) in ranges {
        let (Some(before), Some(hit)) = (s.get(at..a), s.get(a..b)) else {
            continue;
        };
        out.push((before, false));
        out.push((hit, true));
        at = b;
    }
    out.push((s.get(at..).unwrap_or(""), false));
    out
}

/// How a match is marked in text drawn in `base`. On a selected row only the modifier marks
/// it, so the selection colours stay readable.
pub(crate) fn match_style(base: Style, t: &Theme, selected: bool) -> Style {
    let mark = Modifier::UNDERLINED | Modifier::BOLD;
    if selected {
        base.add_modifier(mark)
    } else {
        base.fg(t.emphasis).add_modifier(mark)
    }
}

/// A rule language as the panes write it.
pub(crate) fn lang(l: crate::rules::Language) -> &'static str {
    match l {
        crate::rules::Language::Eql => "EQL",
        crate::rules::Language::Spl => "SPL",
        crate::rules::Language::Sigma => "Sigma",
    }
}

/// The first row to draw of a list of `len` rows in `h` lines: the list's own top, moved so
/// that the selection shows and no blank is left below the last row (the top kept in the
/// state can be stale: it was set while the pane was hidden, or for another height).
pub(crate) fn view_top(pos: crate::tui::app::ListPos, len: usize, h: usize) -> usize {
    let h = h.max(1);
    let sel = pos.selected.min(len.saturating_sub(1));
    let mut top = pos.top.min(len.saturating_sub(h));
    if sel < top {
        top = sel;
    } else if sel >= top + h {
        top = sel + 1 - h;
    }
    top
}

/// A severity rank in four letters at most, for narrow columns.
pub(crate) fn severity_short(rank: u8) -> &'static str {
    match rank {
        5 => "crit",
        4 => "high",
        3 => "med",
        2 => "low",
        1 => "info",
        _ => "",
    }
}

/// Display width of text (wide characters count two).
pub(crate) fn width_of(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Text cut to `width` columns, with `…` when cut (the text is already sanitized).
pub(crate) fn cut(s: &str, width: usize) -> String {
    if width_of(s) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// Text cut to `width` columns in the middle (`C:\Windows\…\AM_Delta.exe`): the end of a
/// path says most (the text is already sanitized).
pub(crate) fn cut_middle(s: &str, width: usize) -> String {
    if width_of(s) <= width || width < 8 {
        return cut(s, width);
    }
    let tail_w = (width - 1) * 3 / 5;
    let head = cut(s, width - tail_w);
    let head = head.trim_end_matches('…');
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > tail_w {
            break;
        }
        tail.push(c);
        used += w;
    }
    let tail: String = tail.into_iter().rev().collect();
    format!("{head}…{tail}")
}

/// A row of `width` columns: `right` (a count, never cut) at the right edge, `left` cut to
/// what is left. Counts in a narrow column lost their leading digits when a table cut them.
pub(crate) fn with_right(
    left: Vec<Span<'static>>,
    right: Vec<Span<'static>>,
    width: usize,
) -> Line<'static> {
    let rw: usize = right.iter().map(|s| width_of(&s.content)).sum();
    let room = width.saturating_sub(rw + usize::from(rw > 0));
    let mut out = Vec::with_capacity(left.len() + right.len() + 1);
    let mut used = 0;
    for s in left {
        let w = width_of(&s.content);
        if used + w <= room {
            used += w;
            out.push(s);
            continue;
        }
        let t = cut(&s.content, room - used);
        used += width_of(&t);
        out.push(Span::styled(t, s.style));
        break;
    }
    out.push(Span::raw(" ".repeat(width.saturating_sub(used + rw))));
    out.extend(right);
    Line::from(out)
}

/// Cells laid out in columns of the given widths, one blank between them (a width of 0
/// drops the column); each cell is cut or padded to its width.
pub(crate) fn columns(cells: Vec<Vec<Span<'static>>>, widths: &[usize]) -> Line<'static> {
    let mut out = Vec::new();
    let mut first = true;
    for (cell, w) in cells.into_iter().zip(widths) {
        if *w == 0 {
            continue;
        }
        if !first {
            out.push(Span::raw(" "));
        }
        first = false;
        out.extend(with_right(cell, vec![], *w).spans);
    }
    Line::from(out)
}

/// Words of `s` (sanitized) on lines of at most `width` columns; a word longer than a line
/// is cut across lines. At most `max` lines, the last ending in `…` when more was left.
pub(crate) fn wrap(s: &str, width: usize, max: usize) -> Vec<String> {
    let width = width.max(4);
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        let mut word = word.to_string();
        loop {
            let need = width_of(&word) + usize::from(!cur.is_empty());
            if width_of(&cur) + need <= width {
                if !cur.is_empty() {
                    cur.push(' ');
                }
                cur.push_str(&word);
                break;
            }
            if cur.is_empty() {
                // Longer than a line: cut it.
                let head: String = cut(&word, width + 1).trim_end_matches('…').to_string();
                let n = head.chars().count().max(1);
                lines.push(word.chars().take(n).collect());
                word = word.chars().skip(n).collect();
                if word.is_empty() {
                    break;
                }
                continue;
            }
            lines.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    if lines.len() > max && max > 0 {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            *last = cut(&format!("{last} …"), width);
            if !last.ends_with('…') {
                last.push('…');
            }
        }
    }
    lines
}

/// Every span of a selected row in the selection's colours, keeping emphasis modifiers, so
/// nothing of the row's own colours can vanish into the selection's.
pub(crate) fn selected_line(line: Line<'static>, t: &Theme) -> Line<'static> {
    let sel = t.selected();
    let spans = line
        .spans
        .into_iter()
        .map(|s| {
            let m = s.style.add_modifier;
            Span::styled(s.content, sel.add_modifier(m))
        })
        .collect::<Vec<_>>();
    Line::from(spans).style(sel)
}

/// A list row as drawn: selected in the focused pane, selected elsewhere, or plain.
pub(crate) fn row_line(
    line: Line<'static>,
    selected: bool,
    focused: bool,
    t: &Theme,
) -> Line<'static> {
    match (selected, focused) {
        (true, true) => selected_line(line, t),
        (true, false) => line.patch_style(Modifier::REVERSED),
        _ => line,
    }
}

/// The pane's frame: number, title, focus colour.
pub(crate) fn pane_block<'a>(app: &App, pane: Pane, title: Vec<Span<'a>>) -> Block<'a> {
    let t = &app.theme;
    let focused = app.focus == pane;
    let (bs, ts) = if focused {
        (
            Style::default().fg(t.border_focus),
            Style::default()
                .fg(t.title_focus)
                .add_modifier(Modifier::BOLD),
        )
    } else {
        (Style::default().fg(t.border), Style::default().fg(t.title))
    };
    let mut spans = vec![Span::styled(
        format!(" {} {}", pane.index() + 1, pane.title()),
        ts,
    )];
    spans.extend(title);
    spans.push(Span::raw(" "));
    let mut b = Block::bordered()
        .border_style(bs)
        .title(Line::from(spans))
        .style(t.base());
    let hints = pane_hints(app, pane);
    if !hints.is_empty() {
        b = b.title_bottom(
            Line::from(Span::styled(
                format!(" {hints} "),
                Style::default().fg(t.footer_text),
            ))
            .right_aligned(),
        );
    }
    b
}

/// Key hints that only apply to this pane, for its bottom border.
fn pane_hints(app: &App, pane: Pane) -> String {
    app.keys
        .bindings
        .iter()
        .filter(|b| b.panes.len() <= 3 && b.panes.contains(&pane) && b.panes.first() == Some(&pane))
        .filter_map(|b| Some(format!("{} {}", b.keys.first()?.label(), b.hint.as_ref()?)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The file name of a path, for narrow places.
pub(crate) fn short(path: &str) -> &str {
    path.rsplit(['/', '\\'])
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(
            when("2020-08-01T07:53:13.181Z", false),
            "2020-08-01 07:53:13"
        );
        assert_eq!(when("2020-08-01 07:59:18", true), "2020-08-01 07:59");
        assert_eq!(when("", false), "");
        assert_eq!(fit("\x1b[2Jabc", 20), "\\x1b[2Jabc");
        assert_eq!(skip_chars("abcdef", 2), "…cdef");
        assert_eq!(short("/var/log/sysmon.xml"), "sysmon.xml");
        assert_eq!(
            one_line("a : (\"x\",\n    \"y\")\t\r\n"),
            "a : (\"x\", \"y\")"
        );
        assert_eq!(one_line("\x1b[2J"), "\\x1b[2J");
    }

    #[test]
    fn compact_counts_keep_their_leading_digits() {
        for (n, s) in [
            (0, "0"),
            (48, "48"),
            (548, "548"),
            (9_999, "9,999"),
            (10_000, "10.0k"),
            (99_949, "99.9k"),
            (99_950, "100k"),
            (905_792, "906k"),
            (999_499, "999k"),
            (999_500, "1.0M"),
            (12_345_678, "12.3M"),
            (u64::MAX, "18446744073709M"),
        ] {
            assert_eq!(compact(n), s, "{n}");
        }
        for n in (0..2_000_000).step_by(997) {
            assert!(compact(n).len() <= 6, "{n}: {}", compact(n));
        }
    }

    #[test]
    fn rows_keep_their_counts_and_long_text_wraps_at_spaces() {
        let l = with_right(
            vec![Span::raw("averyveryverylonghostname")],
            vec![Span::raw("548 hits")],
            20,
        );
        let t: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(t, "averyveryv… 548 hits");
        assert_eq!(width_of(&t), 20);
        let l = with_right(vec![Span::raw("ab")], vec![Span::raw("9")], 6);
        let t: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(t, "ab   9");
        assert_eq!(cut("🔇 muted", 4), "🔇 …");
        let p = "C:\\Windows\\SoftwareDistribution\\Download\\x\\AM_Delta.exe";
        let m = cut_middle(p, 30);
        assert!(
            m.ends_with("\\x\\AM_Delta.exe") && m.starts_with("C:\\Windows"),
            "{m}"
        );
        assert_eq!(width_of(&m), 30);
        assert_eq!(cut_middle("short", 30), "short");
        assert_eq!(wrap("a bb ccc dddd", 6, 9), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("abcdefghij", 4, 9), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("one two three four", 8, 2), ["one two", "three …"]);
        assert_eq!(wrap("", 8, 2), [""]);
    }
}
