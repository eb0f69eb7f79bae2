//! One JSON document read from a stream: the elements of a top-level array are
//! handed on one at a time as they are parsed, so a large file is never held whole.

use serde::Deserialize;
use serde_json::Value;

pub(super) enum StreamError<E> {
    /// The sink refused an object (an evaluation failed).
    Sink(E),
    Io(std::io::Error),
    Json(serde_json::Error),
}

/// Parses one JSON document from `reader`, handing `sink` each element of a
/// top-level array as soon as it is parsed, or the whole document otherwise.
pub(super) fn stream_json<R: std::io::BufRead, E>(
    mut reader: R,
    sink: &mut dyn FnMut(Value) -> Result<(), E>,
) -> Result<(), StreamError<E>> {
    use serde::de::DeserializeSeed;
    // A UTF-8 byte order mark is not JSON; editors on Windows write one.
    let bom = reader
        .fill_buf()
        .map_err(StreamError::Io)?
        .starts_with(b"\xEF\xBB\xBF");
    if bom {
        reader.consume(3);
    }
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut failed = None;
    let seed = TopLevel {
        sink,
        failed: &mut failed,
    };
    let parsed = seed.deserialize(&mut de).and_then(|()| de.end());
    match (failed, parsed) {
        (Some(e), _) => Err(StreamError::Sink(e)),
        (None, Err(e)) if e.is_io() => Err(StreamError::Io(e.into())),
        (None, Err(e)) => Err(StreamError::Json(e)),
        (None, Ok(())) => Ok(()),
    }
}

/// The top-level JSON value: array elements go to the sink one at a time.
struct TopLevel<'s, 'f, S> {
    sink: &'s mut dyn FnMut(Value) -> Result<(), S>,
    /// The sink's error; the parse is stopped with a placeholder error.
    failed: &'f mut Option<S>,
}

impl<S> TopLevel<'_, '_, S> {
    fn send<E: serde::de::Error>(&mut self, v: Value) -> Result<(), E> {
        (self.sink)(v).map_err(|e| {
            *self.failed = Some(e);
            E::custom("stopped")
        })
    }
}

impl<'de, S> serde::de::DeserializeSeed<'de> for TopLevel<'_, '_, S> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S> serde::de::Visitor<'de> for TopLevel<'_, '_, S> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON document")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            self.send(v)?;
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, map: A) -> Result<(), A::Error> {
        let v = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        self.send(v)
    }

    // Scalars hold no resource (as before streaming: nothing to check).
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}
