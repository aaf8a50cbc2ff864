//! Reading rule and macro YAML within bounds, keeping where each node is.
//!
//! Rule files are written by others. A YAML alias repeats the node it names, so a few hundred
//! bytes of nested aliases can stand for billions of nodes (a "billion laughs"): a loader that
//! copies each alias runs out of memory. This loader builds the tree from the parser's events
//! itself and counts every node it makes, aliases included, failing at
//! [`MAX_NODES`] with the line and column of the alias that went past it. Nesting is bounded
//! by [`MAX_DEPTH`], and the whole file by the caller ([`super::MAX_RULE_FILE`]).

use yaml_rust2::Yaml;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The most nodes one file may make, counting each node an alias repeats (the largest
/// upstream rule has a few thousand).
pub const MAX_NODES: usize = 200_000;
/// The deepest nesting accepted.
pub const MAX_DEPTH: usize = 64;

/// A YAML node and where it starts (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub line: u32,
    pub col: u32,
}

/// A node's value. Plain scalars are resolved as YAML 1.2's core schema does (`null`,
/// booleans, numbers); quoted ones are strings.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The value of a mapping's key (the first, when a key repeats).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(m) => m
                .iter()
                .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The scalar as text (numbers and booleans as written in canonical form); `None` for
    /// null and collections.
    pub fn text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A string or a list of strings (others as text); empty for anything else.
    pub fn texts(&self) -> Vec<String> {
        match &self.value {
            Value::Seq(items) => items.iter().filter_map(Node::text).collect(),
            _ => self.text().into_iter().collect(),
        }
    }

    /// The same tree as `yaml_rust2`'s document type (for code written against it).
    pub fn to_yaml(&self) -> Yaml {
        match &self.value {
            Value::Null => Yaml::Null,
            Value::Bool(b) => Yaml::Boolean(*b),
            Value::Int(i) => Yaml::Integer(*i),
            Value::Float(f) => Yaml::Real(f.to_string()),
            Value::Str(s) => Yaml::String(s.clone()),
            Value::Seq(items) => Yaml::Array(items.iter().map(Node::to_yaml).collect()),
            Value::Map(m) => {
                Yaml::Hash(m.iter().map(|(k, v)| (k.to_yaml(), v.to_yaml())).collect())
            }
        }
    }
}

/// Why a file did not load, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// Builds nodes from the parser's events.
struct Builder {
    docs: Vec<Node>,
    /// Open collections: the node and, for a mapping, a key waiting for its value.
    stack: Vec<(Node, Option<Node>)>,
    anchors: Vec<(usize, Node, usize)>,
    /// Anchors being built: (anchor id, index in `stack`).
    open_anchors: Vec<(usize, usize)>,
    made: usize,
    error: Option<YamlError>,
}

/// How many nodes a tree holds.
fn size(n: &Node) -> usize {
    1 + match &n.value {
        Value::Seq(items) => items.iter().map(size).sum(),
        Value::Map(m) => m.iter().map(|(k, v)| size(k) + size(v)).sum(),
        _ => 0,
    }
}

fn scalar(text: String, style: TScalarStyle) -> Value {
    if style != TScalarStyle::Plain {
        return Value::Str(text);
    }
    match Yaml::from_str(&text) {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Integer(i) => Value::Int(i),
        Yaml::Real(r) => match r.parse::<f64>() {
            Ok(f) => Value::Float(f),
            Err(_) => Value::Str(text),
        },
        _ => Value::Str(text),
    }
}

impl Builder {
    fn fail(&mut self, mark: Marker, message: String) {
        if self.error.is_none() {
            self.error = Some(YamlError {
                line: mark.line() as u32,
                col: mark.col() as u32 + 1,
                message,
            });
        }
    }

    /// Count `n` more nodes; false (and an error) past the bound.
    fn count(&mut self, n: usize, mark: Marker) -> bool {
        self.made += n;
        if self.made > MAX_NODES {
            self.fail(
                mark,
                format!("YAML expands past {MAX_NODES} nodes (aliases repeat what they name)"),
            );
            return false;
        }
        true
    }

    /// Put a finished node where it belongs: a document, a sequence item, a mapping key or
    /// value.
    fn place(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.push((anchor, node.clone(), size(&node)));
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some((parent, key)) => match &mut parent.value {
                Value::Seq(items) => items.push(node),
                Value::Map(m) => match key.take() {
                    Some(k) => m.push((k, node)),
                    None => *key = Some(node),
                },
                _ => {}
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let at = |value| Node {
            value,
            line: mark.line() as u32,
            col: mark.col() as u32 + 1,
        };
        match ev {
            Event::Scalar(text, style, anchor, _) if self.count(1, mark) => {
                self.place(at(scalar(text, style)), anchor);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return self.fail(mark, format!("YAML nested deeper than {MAX_DEPTH}"));
                }
                if !self.count(1, mark) {
                    return;
                }
                let value = match ev {
                    Event::SequenceStart(..) => Value::Seq(Vec::new()),
                    _ => Value::Map(Vec::new()),
                };
                if anchor > 0 {
                    self.open_anchors.push((anchor, self.stack.len()));
                }
                self.stack.push((at(value), None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((node, _)) = self.stack.pop() else {
                    return;
                };
                let depth = self.stack.len();
                let anchor = match self.open_anchors.last() {
                    Some(&(a, d)) if d == depth => {
                        self.open_anchors.pop();
                        a
                    }
                    _ => 0,
                };
                self.place(node, anchor);
            }
            Event::Alias(id) => {
                let Some(i) = self.anchors.iter().rposition(|(a, _, _)| *a == id) else {
                    return self.fail(mark, "alias to an unknown anchor".into());
                };
                // Counted before it is copied, so a bomb stops before it takes memory.
                if self.count(self.anchors[i].2, mark) {
                    let node = self.anchors[i].1.clone();
                    self.place(node, 0);
                }
            }
            _ => {}
        }
    }
}

/// Parse every document of `text` (an empty file has none).
pub fn load(text: &str) -> Result<Vec<Node>, YamlError> {
    let mut b = Builder {
        docs: Vec::new(),
        stack: Vec::new(),
        anchors: Vec::new(),
        open_anchors: Vec::new(),
        made: 0,
        error: None,
    };
    let mut parser = Parser::new_from_str(text);
    let parsed = parser.load(&mut b, true);
    if let Some(e) = b.error {
        return Err(e);
    }
    parsed.map_err(|e| YamlError {
        line: e.marker().line() as u32,
        col: e.marker().col() as u32 + 1,
        message: e.info().to_string(),
    })?;
    Ok(b.docs)
}

/// [`load`] as `yaml_rust2` documents, or a rule error at the failing place.
pub fn load_docs(path: &std::path::Path, text: &str) -> Result<Vec<Yaml>, super::RuleError> {
    load(text)
        .map(|docs| docs.iter().map(Node::to_yaml).collect())
        .map_err(|e| {
            super::RuleError::new(path, super::RuleErrorKind::Format, e.message).at(e.line, e.col)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_keep_their_place_and_core_schema_types() {
        let docs = load("a: 1\nb:\n  - 'x'\n  - null\n  - yes\nc: \"2\"\n").unwrap();
        let d = &docs[0];
        assert_eq!(d.get("a").unwrap().value, Value::Int(1));
        let b = d.get("b").unwrap();
        assert_eq!((b.line, b.col), (3, 3));
        let Value::Seq(items) = &b.value else {
            panic!("{b:?}")
        };
        assert_eq!(items[0].value, Value::Str("x".into()));
        assert_eq!(items[1].value, Value::Null);
        // YAML 1.2: `yes` is a string.
        assert_eq!(items[2].value, Value::Str("yes".into()));
        assert_eq!(d.get("c").unwrap().value, Value::Str("2".into()));
        assert_eq!(d.to_yaml()["a"].as_i64(), Some(1));
    }

    #[test]
    fn aliases_repeat_their_anchor() {
        let docs = load("x: &a [1, 2]\ny: *a\nz: &m {k: v}\nw: *m\n").unwrap();
        assert_eq!(
            docs[0].get("y").unwrap().value,
            docs[0].get("x").unwrap().value
        );
        assert_eq!(
            docs[0].get("w").unwrap().get("k").unwrap().text().unwrap(),
            "v"
        );
    }

    #[test]
    fn an_alias_bomb_fails_with_its_place_and_bounded_memory() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in "bcdefghijk".chars() {
            bomb.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = name;
        }
        assert!(bomb.len() < 1000);
        let e = load(&bomb).unwrap_err();
        assert!(e.message.contains("expands past"), "{e:?}");
        assert!(e.line >= 5, "{e:?}");
    }

    #[test]
    fn deep_nesting_and_syntax_errors_are_errors() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(load(&deep).unwrap_err().message.contains("deeper"));
        let e = load("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.line >= 1, "{e:?}");
        assert!(load("").unwrap().is_empty());
        assert_eq!(load("---\na: 1\n---\nb: 2\n").unwrap().len(), 2);
    }
}
