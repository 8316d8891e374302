//! Bounded least-recently-used caches for schema conversions (Kafka's `LRUCache` sized by `schemas.cache.size`).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use connect_api::data::{Schema, SchemaRef};

/// A fast non-cryptographic hash (FxHash-style) for cache keys: schema JSON bytes and schema addresses.
#[derive(Clone, Copy, Default)]
pub(crate) struct FastHash;

pub(crate) struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl BuildHasher for FastHash {
    type Hasher = FastHasher;
    fn build_hasher(&self) -> FastHasher {
        FastHasher(0)
    }
}

/// A schema as a cache key: equal schemas are the same key; hashing looks at the structure only (types, names,
/// versions, field names), equality at everything, with a fast path for the very same `Arc`.
#[derive(Clone, Debug)]
pub(crate) struct SchemaKey(pub SchemaRef);

impl PartialEq for SchemaKey {
    fn eq(&self, other: &Self) -> bool {
        SchemaRef::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for SchemaKey {}

impl Hash for SchemaKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_schema(&self.0, state);
    }
}

fn hash_schema<H: Hasher>(schema: &Schema, state: &mut H) {
    schema.schema_type.hash(state);
    schema.optional.hash(state);
    schema.name.hash(state);
    schema.version.hash(state);
    for field in &schema.fields {
        field.name.hash(state);
        hash_schema(&field.schema, state);
    }
    if let Some(k) = &schema.key_schema {
        hash_schema(k, state);
    }
    if let Some(v) = &schema.value_schema {
        hash_schema(v, state);
    }
}

/// A map holding at most `capacity` entries, evicting the least recently used one.
pub(crate) struct LruCache<K, V> {
    map: HashMap<K, (V, u64), FastHash>,
    capacity: usize,
    tick: u64,
}

impl<K: Hash + Eq + Clone, V> LruCache<K, V> {
    pub fn new(capacity: usize) -> Self {
        LruCache {
            map: HashMap::with_capacity_and_hasher(capacity.min(1024), FastHash),
            capacity,
            tick: 0,
        }
    }

    pub fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.tick += 1;
        let tick = self.tick;
        self.map.get_mut(key).map(|(v, used)| {
            *used = tick;
            &*v
        })
    }

    pub fn insert(&mut self, key: K, value: V) {
        if self.capacity == 0 {
            return;
        }
        if self.map.len() >= self.capacity && !self.map.contains_key(&key) {
            let oldest = self
                .map
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.map.remove(&oldest);
            }
        }
        self.tick += 1;
        self.map.insert(key, (value, self.tick));
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used() {
        let mut cache = LruCache::new(2);
        cache.insert("a", 1);
        cache.insert("b", 2);
        assert_eq!(cache.get("a"), Some(&1));
        cache.insert("c", 3);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get("b"), None);
        assert_eq!(cache.get("a"), Some(&1));
        assert_eq!(cache.get("c"), Some(&3));
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let mut cache = LruCache::new(0);
        cache.insert(1, 1);
        assert_eq!(cache.len(), 0);
    }
}
