//! A parsed Avro schema as the decoder and the Avro → Connect mapping need it: an arena of nodes with named types
//! resolved (recursion allowed) and every extra attribute (`connect.*`, `logicalType`, ...) kept, which Avro
//! libraries drop on primitive types.

use std::collections::HashMap;

use connect_api::{ConnectError, ConnectResult};
use serde_json::{Map, Value as Json};

/// A parsed Avro schema; `nodes[root]` is the top-level type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AvroSchema {
    pub nodes: Vec<Node>,
    pub root: usize,
}

/// One Avro type with the attributes that are not part of its definition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub kind: Kind,
    pub props: Map<String, Json>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array(usize),
    Map(usize),
    Union(Vec<usize>),
    Record {
        name: String,
        doc: Option<String>,
        fields: Vec<AvroField>,
    },
    Enum {
        name: String,
        doc: Option<String>,
        symbols: Vec<String>,
        default: Option<String>,
    },
    Fixed {
        name: String,
        size: usize,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AvroField {
    pub name: String,
    pub node: usize,
    pub doc: Option<String>,
    pub default: Option<Json>,
}

impl Node {
    pub fn prop_str(&self, key: &str) -> Option<&str> {
        self.props.get(key).and_then(Json::as_str)
    }

    /// The full name of a named type.
    pub fn full_name(&self) -> Option<&str> {
        match &self.kind {
            Kind::Record { name, .. } | Kind::Enum { name, .. } | Kind::Fixed { name, .. } => {
                Some(name)
            }
            _ => None,
        }
    }

    /// Avro's type name (`int`, `record`, ...).
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Boolean => "boolean",
            Kind::Int => "int",
            Kind::Long => "long",
            Kind::Float => "float",
            Kind::Double => "double",
            Kind::Bytes => "bytes",
            Kind::String => "string",
            Kind::Array(_) => "array",
            Kind::Map(_) => "map",
            Kind::Union(_) => "union",
            Kind::Record { .. } => "record",
            Kind::Enum { .. } => "enum",
            Kind::Fixed { .. } => "fixed",
        }
    }
}

fn invalid(msg: impl std::fmt::Display) -> ConnectError {
    ConnectError::data(format!("Invalid Avro schema: {msg}"))
}

const RESERVED: &[&str] = &[
    "type",
    "name",
    "namespace",
    "fields",
    "items",
    "values",
    "symbols",
    "size",
    "doc",
    "aliases",
    "default",
    "order",
];

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl AvroSchema {
    /// Parses and checks an Avro schema text (names, namespaces, references, unions).
    pub fn parse(text: &str) -> ConnectResult<AvroSchema> {
        let json: Json =
            serde_json::from_str(text).map_err(|e| invalid(format!("not JSON: {e}")))?;
        let mut parser = Parser {
            nodes: Vec::new(),
            names: HashMap::new(),
            defining: HashMap::new(),
        };
        let root = parser.parse(&json, None)?;
        Ok(AvroSchema {
            nodes: parser.nodes,
            root,
        })
    }

    pub fn node(&self, index: usize) -> &Node {
        &self.nodes[index]
    }

    /// The name a subject name strategy uses: a named type's full name, else the type name.
    pub fn record_name(&self) -> String {
        let root = self.node(self.root);
        root.full_name()
            .unwrap_or_else(|| root.type_name())
            .to_string()
    }
}

/// Whether data written with `a` is, byte for byte, data of `b`: the same types, record field names and order, union
/// branches, enum symbols and fixed sizes (type names, docs, defaults and other properties aside).
pub(crate) fn same_layout(a: &AvroSchema, b: &AvroSchema) -> bool {
    layout_eq(a, a.root, b, b.root, &mut Vec::new())
}

fn layout_eq(
    a: &AvroSchema,
    ai: usize,
    b: &AvroSchema,
    bi: usize,
    seen: &mut Vec<(usize, usize)>,
) -> bool {
    if seen.contains(&(ai, bi)) {
        return true;
    }
    match (&a.node(ai).kind, &b.node(bi).kind) {
        (Kind::Array(x), Kind::Array(y)) | (Kind::Map(x), Kind::Map(y)) => {
            layout_eq(a, *x, b, *y, seen)
        }
        (Kind::Union(xs), Kind::Union(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .zip(ys)
                    .all(|(x, y)| layout_eq(a, *x, b, *y, seen))
        }
        (Kind::Record { fields: fa, .. }, Kind::Record { fields: fb, .. }) => {
            seen.push((ai, bi));
            fa.len() == fb.len()
                && fa
                    .iter()
                    .zip(fb)
                    .all(|(x, y)| x.name == y.name && layout_eq(a, x.node, b, y.node, seen))
        }
        (Kind::Enum { symbols: x, .. }, Kind::Enum { symbols: y, .. }) => x == y,
        (Kind::Fixed { size: x, .. }, Kind::Fixed { size: y, .. }) => x == y,
        (x, y) => {
            std::mem::discriminant(x) == std::mem::discriminant(y)
                && !matches!(
                    x,
                    Kind::Array(_) | Kind::Map(_) | Kind::Union(_) | Kind::Record { .. }
                )
        }
    }
}

struct Parser {
    nodes: Vec<Node>,
    names: HashMap<String, usize>,
    /// Named types whose definition is being parsed (their node is still a placeholder), by node index.
    defining: HashMap<usize, String>,
}

impl Parser {
    fn push(&mut self, kind: Kind, props: Map<String, Json>) -> usize {
        self.nodes.push(Node { kind, props });
        self.nodes.len() - 1
    }

    fn primitive(name: &str) -> Option<Kind> {
        Some(match name {
            "null" => Kind::Null,
            "boolean" => Kind::Boolean,
            "int" => Kind::Int,
            "long" => Kind::Long,
            "float" => Kind::Float,
            "double" => Kind::Double,
            "bytes" => Kind::Bytes,
            "string" => Kind::String,
            _ => return None,
        })
    }

    fn reference(&mut self, name: &str, namespace: Option<&str>) -> ConnectResult<usize> {
        if let Some(kind) = Self::primitive(name) {
            return Ok(self.push(kind, Map::new()));
        }
        let qualified = qualify(name, namespace);
        self.names
            .get(&qualified)
            .or_else(|| self.names.get(name))
            .copied()
            .ok_or_else(|| invalid(format!("undefined name: \"{name}\"")))
    }

    fn parse(&mut self, json: &Json, namespace: Option<&str>) -> ConnectResult<usize> {
        match json {
            Json::String(name) => self.reference(name, namespace),
            Json::Array(branches) => {
                let mut out = Vec::with_capacity(branches.len());
                let mut seen: Vec<String> = Vec::new();
                for b in branches {
                    let index = self.parse(b, namespace)?;
                    let node = &self.nodes[index];
                    if matches!(node.kind, Kind::Union(_)) {
                        return Err(invalid("unions may not immediately contain other unions"));
                    }
                    let key = match self.defining.get(&index) {
                        Some(name) => name.clone(),
                        None => node
                            .full_name()
                            .unwrap_or_else(|| node.type_name())
                            .to_string(),
                    };
                    if seen.contains(&key) {
                        return Err(invalid(format!("duplicate in union: {key}")));
                    }
                    seen.push(key);
                    out.push(index);
                }
                Ok(self.push(Kind::Union(out), Map::new()))
            }
            Json::Object(obj) => self.parse_object(obj, namespace),
            other => Err(invalid(format!("not a schema: {other}"))),
        }
    }

    fn parse_object(
        &mut self,
        obj: &Map<String, Json>,
        namespace: Option<&str>,
    ) -> ConnectResult<usize> {
        let props: Map<String, Json> = obj
            .iter()
            .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let type_name = match obj.get("type") {
            Some(Json::String(t)) => t.as_str(),
            Some(nested @ (Json::Object(_) | Json::Array(_))) => {
                return self.parse(nested, namespace)
            }
            _ => return Err(invalid(format!("no type: {}", Json::Object(obj.clone())))),
        };
        if let Some(kind) = Self::primitive(type_name) {
            return Ok(self.push(kind, props));
        }
        match type_name {
            "array" => {
                let items = obj
                    .get("items")
                    .ok_or_else(|| invalid("array has no items type"))?;
                let items = self.parse(items, namespace)?;
                Ok(self.push(Kind::Array(items), props))
            }
            "map" => {
                let values = obj
                    .get("values")
                    .ok_or_else(|| invalid("map has no values type"))?;
                let values = self.parse(values, namespace)?;
                Ok(self.push(Kind::Map(values), props))
            }
            "record" | "error" | "enum" | "fixed" => {
                let name = obj
                    .get("name")
                    .and_then(Json::as_str)
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| {
                        invalid(format!("no name in schema: {}", Json::Object(obj.clone())))
                    })?;
                let space = if name.contains('.') {
                    name.rsplit_once('.').map(|(ns, _)| ns.to_string())
                } else {
                    obj.get("namespace")
                        .and_then(Json::as_str)
                        .map(str::to_string)
                        .or_else(|| namespace.map(str::to_string))
                };
                let full = qualify(name, space.as_deref());
                if !full.split('.').all(valid_name) {
                    return Err(invalid(format!("illegal name: {full}")));
                }
                if self.names.contains_key(&full) {
                    return Err(invalid(format!("can't redefine: {full}")));
                }
                let doc = obj.get("doc").and_then(Json::as_str).map(str::to_string);
                // Reserve the node first so that the record can refer to itself.
                let index = self.push(Kind::Null, props);
                self.names.insert(full.clone(), index);
                self.defining.insert(index, full.clone());
                let space = space.filter(|s| !s.is_empty());
                let kind = match type_name {
                    "enum" => {
                        let symbols = obj
                            .get("symbols")
                            .and_then(Json::as_array)
                            .ok_or_else(|| invalid(format!("enum {full} has no symbols")))?
                            .iter()
                            .map(|s| s.as_str().map(str::to_string))
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| {
                                invalid(format!("enum {full} has a symbol that is not a string"))
                            })?;
                        Kind::Enum {
                            name: full,
                            doc,
                            symbols,
                            default: obj
                                .get("default")
                                .and_then(Json::as_str)
                                .map(str::to_string),
                        }
                    }
                    "fixed" => {
                        let size = obj
                            .get("size")
                            .and_then(Json::as_u64)
                            .ok_or_else(|| invalid(format!("fixed {full} has no size")))?;
                        Kind::Fixed {
                            name: full,
                            size: size as usize,
                        }
                    }
                    _ => {
                        let list = obj
                            .get("fields")
                            .and_then(Json::as_array)
                            .ok_or_else(|| invalid(format!("record {full} has no fields")))?;
                        let mut fields: Vec<AvroField> = Vec::with_capacity(list.len());
                        for f in list {
                            let fname = f.get("name").and_then(Json::as_str).ok_or_else(|| {
                                invalid(format!("field without a name in {full}"))
                            })?;
                            if !valid_name(fname) {
                                return Err(invalid(format!("illegal field name: {fname}")));
                            }
                            if fields.iter().any(|x| x.name == fname) {
                                return Err(invalid(format!(
                                    "duplicate field {fname} in record {full}"
                                )));
                            }
                            let ftype = f.get("type").ok_or_else(|| {
                                invalid(format!("field {fname} in {full} has no type"))
                            })?;
                            let node = self.parse(ftype, space.as_deref())?;
                            fields.push(AvroField {
                                name: fname.to_string(),
                                node,
                                doc: f.get("doc").and_then(Json::as_str).map(str::to_string),
                                default: f.get("default").cloned(),
                            });
                        }
                        Kind::Record {
                            name: full,
                            doc,
                            fields,
                        }
                    }
                };
                self.nodes[index].kind = kind;
                self.defining.remove(&index);
                Ok(index)
            }
            other => self
                .reference(other, namespace)
                .map_err(|_| invalid(format!("unknown type: {other}"))),
        }
    }
}

fn qualify(name: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) if !ns.is_empty() && !name.contains('.') => format!("{ns}.{name}"),
        _ => name.to_string(),
    }
}
