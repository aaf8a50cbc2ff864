//! The lazy form of the reader, for the verdict phase: a line's wanted fields kept as spans,
//! made into values only when a predicate reads them.

use super::quotes::mark_quotes;
use super::{P, POOL, Span, read, string_value, unescape};
use crate::views::doc::{Keep, Slots, Value, recycle};
use std::cell::{OnceCell, RefCell};

/// The wanted fields of one line by position (slot `n` is the wanted field at node `n` of the
/// `keep` tree, see [`Keep::node_of`]), read as spans and made into values only when first
/// asked for ([`LazyView`]): a field the verdict never reads (most of a line's wanted text when
/// the first predicates already miss) is validated, not copied. Reused from line to line.
#[derive(Default)]
pub struct LazySlots {
    /// By node: where the wanted field's value is in the line, if present.
    spans: Vec<Option<Span>>,
    /// By node: the values, once made.
    made: Vec<OnceCell<Vec<Value>>>,
    /// Room for making values, reused.
    room: RefCell<Room>,
}

/// Room reused for making a lazy slot's values.
#[derive(Default)]
struct Room {
    /// Emptied strings.
    strings: Vec<String>,
    /// Emptied lists.
    lists: Vec<Vec<Value>>,
    /// The quote marks of a value read again.
    marks: Vec<u64>,
    /// A string's text unescaped, read without making its value.
    text: String,
}

/// The wanted fields of a line read into [`LazySlots`].
pub struct LazyView<'a> {
    line: &'a str,
    keep: &'a Keep,
    slots: &'a LazySlots,
}

/// The wanted fields of an ECS line into lazily made slots: the contract of [`ecs_fields`](super::ecs_fields),
/// and `view.slot(n)` equals what [`ecs_fields`](super::ecs_fields) holds for the wanted field at node `n`
/// (nothing for a missing field, a null, an empty array and a node where no wanted field
/// ends).
pub fn ecs_lazy_into<'a>(
    t: &'a str,
    keep: &'a Keep,
    slots: &'a mut LazySlots,
) -> Option<LazyView<'a>> {
    let LazySlots { spans, made, room } = slots;
    let room = room.get_mut();
    for cell in made.iter_mut() {
        if let Some(mut vals) = cell.take() {
            recycle(&mut vals, &mut room.strings, POOL);
            room.lists.push(vals);
        }
    }
    made.resize_with(keep.len(), OnceCell::new);
    read(t, keep, spans, |spans, _| {
        spans.clear();
        spans.resize(keep.len(), None);
    })?;
    Some(LazyView {
        line: t,
        keep,
        slots,
    })
}

impl Slots for LazyView<'_> {
    fn each_text(&self, node: usize, f: &mut dyn FnMut(&str)) {
        // A string without escapes is its own text, in the line; no value is made for it.
        match (self.slots.made.get(node), self.slots.spans.get(node)) {
            (Some(cell), Some(&Some(Span::Str(a, z, escaped)))) if cell.get().is_none() => {
                let s = self.line.get(a..z).unwrap_or_default();
                if !escaped {
                    return f(s);
                }
                let mut room = self.slots.room.borrow_mut();
                let text = &mut room.text;
                text.clear();
                unescape(s, text);
                f(text)
            }
            _ => {
                for v in self.slot(node) {
                    f(&v.as_text());
                }
            }
        }
    }

    fn slot(&self, node: usize) -> &[Value] {
        let Some(cell) = self.slots.made.get(node) else {
            return &[];
        };
        cell.get_or_init(|| {
            let mut room = self.slots.room.borrow_mut();
            let Room {
                strings,
                lists,
                marks,
                ..
            } = &mut *room;
            let mut vals = lists.pop().unwrap_or_default();
            match self.slots.spans.get(node) {
                Some(&Some(Span::Str(a, z, escaped))) => {
                    let s = self.line.get(a..z).unwrap_or_default();
                    vals.push(Value::Str(string_value(s, escaped, strings)));
                }
                // Read again by the reader's own value walk, over the value alone (which it
                // validated in the line, so nothing is declined here).
                Some(&Some(Span::Json(a, z))) => {
                    let v = self.line.get(a..z).unwrap_or_default();
                    if mark_quotes(v.as_bytes(), marks).is_some() {
                        let mut p = P {
                            t: v,
                            b: v.as_bytes(),
                            marks,
                            i: 0,
                            keep: self.keep,
                            seen: &mut Vec::new(),
                            sink: &mut Vec::<Option<Span>>::new(),
                            spare: &mut Vec::new(),
                            pool: strings,
                        };
                        let _ = p.values::<true>(&mut vals, 0);
                    }
                }
                _ => {}
            }
            vals
        })
    }
}
