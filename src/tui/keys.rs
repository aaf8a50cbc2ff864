//! The key table: which key triggers which [`Action`], as data (`keys.toml`, compiled in, and
//! patched by the user's `<config dir>/keys.toml`). The help overlay and the footer hints are
//! generated from it.

use super::action::{Action, Pane, parse_action};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use std::path::Path;

const BUNDLED: &str = include_str!("keys.toml");

/// One key with its modifiers, as written in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeySpec {
    pub fn parse(s: &str) -> Result<KeySpec, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse::<u8>().map_err(|e| e.to_string())?)
            }
            c if c.chars().count() == 1 => KeyCode::Char(c.chars().next().unwrap_or(' ')),
            other => return Err(format!("unknown key name {other:?}")),
        };
        Ok(KeySpec { code, mods })
    }

    /// Whether a terminal key event is this key. Shift is implied by the character itself
    /// (`G`, `?`), and terminals disagree on reporting it, so it is ignored for characters.
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        let relevant = KeyModifiers::CONTROL | KeyModifiers::ALT;
        match (self.code, ev.code) {
            (KeyCode::Char(a), KeyCode::Char(b)) => {
                let (a, b) = if self.mods.contains(KeyModifiers::CONTROL) {
                    (a.to_ascii_lowercase(), b.to_ascii_lowercase())
                } else {
                    (a, b)
                };
                a == b && (ev.modifiers & relevant) == (self.mods & relevant)
            }
            (KeyCode::BackTab, KeyCode::BackTab) => true,
            (KeyCode::BackTab, KeyCode::Tab) => ev.modifiers.contains(KeyModifiers::SHIFT),
            (a, b) => a == b && (ev.modifiers & relevant) == (self.mods & relevant),
        }
    }

    /// How the key is written in hints and help.
    pub fn label(&self) -> String {
        let mut s = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            s.push_str("Ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            s.push_str("Alt-");
        }
        match self.code {
            KeyCode::Char(' ') => s.push_str("Space"),
            KeyCode::Char(c) => s.push(c),
            KeyCode::Enter => s.push_str("Enter"),
            KeyCode::Esc => s.push_str("Esc"),
            KeyCode::Tab => s.push_str("Tab"),
            KeyCode::BackTab => s.push_str("Shift-Tab"),
            KeyCode::Backspace => s.push_str("Backspace"),
            KeyCode::Up => s.push('↑'),
            KeyCode::Down => s.push('↓'),
            KeyCode::Left => s.push('←'),
            KeyCode::Right => s.push('→'),
            KeyCode::Home => s.push_str("Home"),
            KeyCode::End => s.push_str("End"),
            KeyCode::PageUp => s.push_str("PgUp"),
            KeyCode::PageDown => s.push_str("PgDn"),
            KeyCode::F(n) => s.push_str(&format!("F{n}")),
            _ => s.push('?'),
        }
        s
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBind {
    action: String,
    keys: Vec<String>,
    #[serde(default)]
    help: Option<String>,
    #[serde(default)]
    hint: Option<String>,
    #[serde(default)]
    panes: Vec<Pane>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(default)]
    bind: Vec<RawBind>,
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Binding {
    pub name: String,
    pub action: Action,
    pub keys: Vec<KeySpec>,
    pub help: String,
    pub hint: Option<String>,
    /// Where the footer shows the hint; empty means everywhere.
    pub panes: Vec<Pane>,
}

/// The key table in force.
#[derive(Debug, Clone)]
pub struct KeyMap {
    pub bindings: Vec<Binding>,
}

fn parse_table(text: &str, origin: &str) -> Result<Vec<Binding>, String> {
    let t: RawTable = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
    t.bind
        .into_iter()
        .map(|b| {
            let action = parse_action(&b.action)
                .ok_or_else(|| format!("{origin}: unknown action {:?}", b.action))?;
            let keys = b
                .keys
                .iter()
                .map(|k| {
                    KeySpec::parse(k).map_err(|e| format!("{origin}: action {}: {e}", b.action))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Binding {
                name: b.action,
                action,
                keys,
                help: b.help.unwrap_or_default(),
                hint: b.hint,
                panes: b.panes,
            })
        })
        .collect()
}

impl KeyMap {
    /// The table compiled into the binary.
    pub fn bundled() -> KeyMap {
        // The bundled table is checked by a unit test; an empty map is the fallback rather
        // than a panic should it ever be broken.
        KeyMap {
            bindings: parse_table(BUNDLED, "keys.toml").unwrap_or_default(),
        }
    }

    /// The bundled table patched by a user file (missing file: no patch).
    pub fn load(user: Option<&Path>) -> Result<KeyMap, String> {
        let mut map = KeyMap::bundled();
        let Some(p) = user else { return Ok(map) };
        let text = match std::fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(map),
            Err(e) => return Err(format!("{}: {e}", p.display())),
        };
        for b in parse_table(&text, &p.display().to_string())? {
            match map.bindings.iter_mut().find(|x| x.name == b.name) {
                Some(x) => {
                    x.keys = b.keys;
                    if !b.help.is_empty() {
                        x.help = b.help;
                    }
                    if b.hint.is_some() {
                        x.hint = b.hint;
                    }
                    if !b.panes.is_empty() {
                        x.panes = b.panes;
                    }
                }
                None => map.bindings.push(b),
            }
        }
        Ok(map)
    }

    /// The action of a key press in normal mode.
    pub fn lookup(&self, ev: &KeyEvent) -> Option<Action> {
        self.bindings
            .iter()
            .find(|b| b.keys.iter().any(|k| k.matches(ev)))
            .map(|b| b.action.clone())
    }

    /// The keys of an action, for prompts ("press t to triage").
    pub fn keys_of(&self, name: &str) -> String {
        self.bindings
            .iter()
            .find(|b| b.name == name)
            .map(|b| {
                b.keys
                    .iter()
                    .map(KeySpec::label)
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default()
    }

    /// Footer hints for a focused pane: (first key, hint), in table order.
    pub fn hints(&self, pane: Pane) -> Vec<(String, String)> {
        self.bindings
            .iter()
            .filter(|b| b.panes.is_empty() || b.panes.contains(&pane))
            .filter_map(|b| {
                let hint = b.hint.as_ref()?;
                let key = b.keys.first()?;
                Some((key.label(), hint.clone()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(c, m)
    }

    #[test]
    fn bundled_table_parses_and_maps_the_documented_keys() {
        let t: RawTable = toml::from_str(BUNDLED).expect("bundled keys.toml parses");
        let m = KeyMap::bundled();
        assert_eq!(
            m.bindings.len(),
            t.bind.len(),
            "every bundled binding compiles"
        );
        assert_eq!(
            m.lookup(&key(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            m.lookup(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            m.lookup(&key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            m.lookup(&key(KeyCode::End, KeyModifiers::NONE)),
            Some(Action::Bottom)
        );
        assert_eq!(
            m.lookup(&key(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::FocusPrev)
        );
        assert_eq!(
            m.lookup(&key(KeyCode::Char('3'), KeyModifiers::NONE)),
            Some(Action::Focus(Pane::Predicates))
        );
        assert_eq!(
            m.lookup(&key(KeyCode::Char(' '), KeyModifiers::NONE)),
            Some(Action::Pause)
        );
        assert_eq!(
            m.lookup(&key(KeyCode::Char('c'), KeyModifiers::NONE)),
            Some(Action::ToggleMouse)
        );
        assert_eq!(m.lookup(&key(KeyCode::Char('w'), KeyModifiers::NONE)), None);
        let hints = m.hints(Pane::Hosts);
        assert!(hints.iter().any(|(k, h)| k == "a" && h == "allow-list"));
        assert!(!m.hints(Pane::Events).iter().any(|(_, h)| h == "allow-list"));
    }

    #[test]
    fn a_user_file_replaces_only_the_keys_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("keys.toml");
        std::fs::write(&p, "[[bind]]\naction = \"quit\"\nkeys = [\"ctrl-q\"]\n").unwrap();
        let m = KeyMap::load(Some(&p)).unwrap();
        assert_eq!(
            m.lookup(&key(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(m.lookup(&key(KeyCode::Char('q'), KeyModifiers::NONE)), None);
        assert_eq!(
            m.lookup(&key(KeyCode::Char('?'), KeyModifiers::NONE)),
            Some(Action::Help)
        );
        std::fs::write(&p, "[[bind]]\naction = \"fly\"\nkeys = [\"f\"]\n").unwrap();
        assert!(
            KeyMap::load(Some(&p))
                .unwrap_err()
                .contains("unknown action")
        );
        std::fs::write(&p, "[[bind]]\naction = \"quit\"\nkeys = [\"hyper-x\"]\n").unwrap();
        assert!(KeyMap::load(Some(&p)).is_err());
        assert!(KeyMap::load(Some(&dir.path().join("none.toml"))).is_ok());
    }
}
