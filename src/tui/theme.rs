//! Colours and marks as data: `themes/{dark,light,high-contrast}.toml`, compiled into the
//! binary so it works from anywhere, patched key by key by a user theme in
//! `<config dir>/themes/NAME.toml`.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

const BUNDLED: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// Names of the themes that ship with the binary.
pub fn bundled_names() -> Vec<&'static str> {
    BUNDLED.iter().map(|(n, _)| *n).collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    #[serde(default)]
    colors: BTreeMap<String, String>,
    #[serde(default)]
    symbols: BTreeMap<String, String>,
}

/// Every colour the screen uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub text: Color,
    pub dim: Color,
    pub background: Color,
    pub border: Color,
    pub border_focus: Color,
    pub title: Color,
    pub title_focus: Color,
    pub selection_fg: Color,
    pub selection_bg: Color,
    pub status_fg: Color,
    pub status_bg: Color,
    pub footer_key: Color,
    pub footer_text: Color,
    pub sev_info: Color,
    pub sev_low: Color,
    pub sev_medium: Color,
    pub sev_high: Color,
    pub sev_critical: Color,
    pub ok: Color,
    pub fail: Color,
    pub muted: Color,
    pub excluded: Color,
    pub emphasis: Color,
    pub error: Color,
    pub live: Color,
    pub paused: Color,
    pub triage_tp: Color,
    pub triage_fp: Color,
    pub triage_escalate: Color,
    pub sym_muted: String,
    pub sym_excluded: String,
    pub sym_ok: String,
    pub sym_fail: String,
    pub sym_selected: String,
    pub sym_live: String,
}

impl Theme {
    /// A bundled theme by name, patched by `<config dir>/themes/NAME.toml` when present.
    /// `NAME` may also be a path to a `.toml` file (patching dark).
    pub fn load(name: &str, config_dir: Option<&Path>) -> Result<Theme, String> {
        let as_path = Path::new(name);
        if name.ends_with(".toml") && as_path.is_file() {
            let user = read_raw(as_path)?;
            return build(name, &[base("dark")?, user]);
        }
        let user_file: Option<PathBuf> =
            config_dir.map(|d| d.join("themes").join(format!("{name}.toml")));
        let user = match &user_file {
            Some(p) if p.is_file() => Some(read_raw(p)?),
            _ => None,
        };
        let bundled = BUNDLED.iter().find(|(n, _)| *n == name);
        match (bundled, user) {
            (Some(_), Some(u)) => build(name, &[base(name)?, u]),
            (Some(_), None) => build(name, &[base(name)?]),
            (None, Some(u)) => build(name, &[base("dark")?, u]),
            (None, None) => Err(format!(
                "unknown theme {name:?}: bundled themes are {}; a user theme goes in {}",
                bundled_names().join(", "),
                user_file
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "<config dir>/themes/NAME.toml".into())
            )),
        }
    }

    /// The default theme; never fails (falls back to terminal defaults if the data is bad).
    pub fn dark() -> Theme {
        Theme::load("dark", None).unwrap_or_else(|_| fallback())
    }

    pub fn severity(&self, rank: u8) -> Color {
        match rank {
            5 => self.sev_critical,
            4 => self.sev_high,
            3 => self.sev_medium,
            2 => self.sev_low,
            _ => self.sev_info,
        }
    }

    pub fn base(&self) -> Style {
        Style::default().fg(self.text).bg(self.background)
    }

    pub fn selected(&self) -> Style {
        Style::default()
            .fg(self.selection_fg)
            .bg(self.selection_bg)
            .add_modifier(Modifier::BOLD)
    }
}

fn base(name: &str) -> Result<RawTheme, String> {
    let text = BUNDLED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or("no such bundled theme")?;
    toml::from_str(text).map_err(|e| format!("bundled theme {name}: {e}"))
}

fn read_raw(p: &Path) -> Result<RawTheme, String> {
    let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
}

fn build(name: &str, layers: &[RawTheme]) -> Result<Theme, String> {
    let mut colors: BTreeMap<&str, &str> = BTreeMap::new();
    let mut symbols: BTreeMap<&str, &str> = BTreeMap::new();
    for l in layers {
        colors.extend(l.colors.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        symbols.extend(l.symbols.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    let mut t = fallback();
    t.name = name.to_string();
    for (k, v) in colors {
        let c = Color::from_str(v)
            .map_err(|_| format!("theme {name}: colors.{k}: not a colour: {v:?}"))?;
        let slot = match k {
            "text" => &mut t.text,
            "dim" => &mut t.dim,
            "background" => &mut t.background,
            "border" => &mut t.border,
            "border_focus" => &mut t.border_focus,
            "title" => &mut t.title,
            "title_focus" => &mut t.title_focus,
            "selection_fg" => &mut t.selection_fg,
            "selection_bg" => &mut t.selection_bg,
            "status_fg" => &mut t.status_fg,
            "status_bg" => &mut t.status_bg,
            "footer_key" => &mut t.footer_key,
            "footer_text" => &mut t.footer_text,
            "sev_info" => &mut t.sev_info,
            "sev_low" => &mut t.sev_low,
            "sev_medium" => &mut t.sev_medium,
            "sev_high" => &mut t.sev_high,
            "sev_critical" => &mut t.sev_critical,
            "ok" => &mut t.ok,
            "fail" => &mut t.fail,
            "muted" => &mut t.muted,
            "excluded" => &mut t.excluded,
            "emphasis" => &mut t.emphasis,
            "error" => &mut t.error,
            "live" => &mut t.live,
            "paused" => &mut t.paused,
            "triage_tp" => &mut t.triage_tp,
            "triage_fp" => &mut t.triage_fp,
            "triage_escalate" => &mut t.triage_escalate,
            other => return Err(format!("theme {name}: unknown colour key {other:?}")),
        };
        *slot = c;
    }
    for (k, v) in symbols {
        // Symbols are drawn as given; keep them short and free of control characters.
        let v: String = crate::sanitize::sanitize(v).chars().take(4).collect();
        let slot = match k {
            "muted" => &mut t.sym_muted,
            "excluded" => &mut t.sym_excluded,
            "ok" => &mut t.sym_ok,
            "fail" => &mut t.sym_fail,
            "selected" => &mut t.sym_selected,
            "live" => &mut t.sym_live,
            other => return Err(format!("theme {name}: unknown symbol key {other:?}")),
        };
        *slot = v;
    }
    Ok(t)
}

/// Terminal defaults: what any missing key falls back to.
fn fallback() -> Theme {
    Theme {
        name: "fallback".into(),
        text: Color::Reset,
        dim: Color::DarkGray,
        background: Color::Reset,
        border: Color::DarkGray,
        border_focus: Color::Cyan,
        title: Color::Reset,
        title_focus: Color::Cyan,
        selection_fg: Color::Black,
        selection_bg: Color::Cyan,
        status_fg: Color::Black,
        status_bg: Color::Gray,
        footer_key: Color::Cyan,
        footer_text: Color::DarkGray,
        sev_info: Color::Blue,
        sev_low: Color::Green,
        sev_medium: Color::Yellow,
        sev_high: Color::LightRed,
        sev_critical: Color::LightMagenta,
        ok: Color::Green,
        fail: Color::Red,
        muted: Color::DarkGray,
        excluded: Color::Yellow,
        emphasis: Color::LightYellow,
        error: Color::Red,
        live: Color::Green,
        paused: Color::Yellow,
        triage_tp: Color::LightRed,
        triage_fp: Color::DarkGray,
        triage_escalate: Color::LightMagenta,
        sym_muted: "[m]".into(),
        sym_excluded: "⊘".into(),
        sym_ok: "✓".into(),
        sym_fail: "✗".into(),
        sym_selected: "▸".into(),
        sym_live: "●".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_themes_set_every_key_and_differ() {
        let names = bundled_names();
        let mut seen = Vec::new();
        for n in &names {
            let raw = base(n).unwrap();
            let t = Theme::load(n, None).unwrap();
            assert_eq!(raw.colors.len(), 29, "{n}: every colour key is set");
            assert_eq!(raw.symbols.len(), 6, "{n}: every symbol is set");
            assert!(!seen.contains(&t), "{n} is a distinct theme");
            seen.push(t);
        }
        assert_eq!(Theme::load("high-contrast", None).unwrap().sym_muted, "[m]");
        assert!(
            Theme::load("nope", None)
                .unwrap_err()
                .contains("unknown theme")
        );
    }

    #[test]
    fn a_user_theme_patches_single_keys() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        std::fs::write(
            dir.path().join("themes/dark.toml"),
            "[colors]\nsev_high = \"#ff0000\"\n",
        )
        .unwrap();
        let t = Theme::load("dark", Some(dir.path())).unwrap();
        assert_eq!(t.sev_high, Color::Rgb(255, 0, 0));
        assert_eq!(
            t.sev_low,
            Theme::dark().sev_low,
            "untouched keys keep the bundled value"
        );
        std::fs::write(
            dir.path().join("themes/mine.toml"),
            "[symbols]\nmuted = \"M\"\n",
        )
        .unwrap();
        assert_eq!(
            Theme::load("mine", Some(dir.path())).unwrap().sym_muted,
            "M"
        );
        std::fs::write(
            dir.path().join("themes/bad.toml"),
            "[colors]\nsev_high = \"octarine\"\n",
        )
        .unwrap();
        assert!(
            Theme::load("bad", Some(dir.path()))
                .unwrap_err()
                .contains("not a colour")
        );
        std::fs::write(
            dir.path().join("themes/bad2.toml"),
            "[colors]\nnope = \"red\"\n",
        )
        .unwrap();
        assert!(
            Theme::load("bad2", Some(dir.path()))
                .unwrap_err()
                .contains("unknown colour key")
        );
    }
}
