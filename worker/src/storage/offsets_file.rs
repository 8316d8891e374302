//! Standalone mode's source offsets file (`offset.storage.file.filename`), written crash-safely: a new file is
//! written and fsynced, then renamed over the old one.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use connect_api::OffsetMap;
use serde_json::Value as Json;
use tracing::warn;

use super::{offset_key, parse_offset_key, OffsetStore};

/// Offsets kept in memory and mirrored to one JSON file: an array of `[key, value]` pairs where both are the exact
/// JSON texts Kafka's offsets topic would hold.
pub struct FileOffsetStore {
    path: PathBuf,
    data: Mutex<BTreeMap<String, Json>>,
}

impl FileOffsetStore {
    /// Opens the file, or starts empty when it does not exist. A corrupt file is an error (never silently reset).
    pub fn open(path: impl AsRef<Path>) -> io::Result<FileOffsetStore> {
        let path = path.as_ref().to_path_buf();
        let data = match fs::read(&path) {
            Ok(bytes) if bytes.is_empty() => BTreeMap::new(),
            Ok(bytes) => {
                let pairs: Vec<(String, Json)> = serde_json::from_slice(&bytes).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("offsets file {} is corrupt: {e}", path.display()),
                    )
                })?;
                pairs.into_iter().collect()
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot read offsets file {}: {e}", path.display()),
                ))
            }
        };
        Ok(FileOffsetStore {
            path,
            data: Mutex::new(data),
        })
    }

    fn write(&self, data: &BTreeMap<String, Json>) -> io::Result<()> {
        let pairs: Vec<(&String, &Json)> = data.iter().collect();
        let bytes = serde_json::to_vec(&pairs).map_err(io::Error::other)?;
        let tmp = self.path.with_extension("tmp");
        let mut file = File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
                warn!("could not fsync directory of {}: {e}", self.path.display());
            }
        }
        Ok(())
    }
}

impl OffsetStore for FileOffsetStore {
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        let data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        match data.get(&offset_key(connector, partition))? {
            Json::Object(offset) => Some(offset.clone()),
            _ => None,
        }
    }

    fn set(&self, connector: &str, offsets: Vec<(OffsetMap, Option<OffsetMap>)>) -> io::Result<()> {
        let mut data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        let mut next = data.clone();
        for (partition, offset) in offsets {
            let key = offset_key(connector, &partition);
            match offset {
                Some(offset) => next.insert(key, Json::Object(offset)),
                None => next.remove(&key),
            };
        }
        self.write(&next)?;
        *data = next;
        Ok(())
    }

    fn connector_offsets(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)> {
        let data = self.data.lock().unwrap_or_else(|p| p.into_inner());
        data.iter()
            .filter_map(|(key, offset)| {
                let (c, partition) = parse_offset_key(key)?;
                match offset {
                    Json::Object(o) if c == connector => Some((partition, o.clone())),
                    _ => None,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Json)]) -> OffsetMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn offsets_survive_reopen_and_keys_ignore_map_order() {
        let dir = std::env::temp_dir().join(format!("offsets-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("connect.offsets");
        let _ = fs::remove_file(&path);
        let store = FileOffsetStore::open(&path).unwrap();
        let partition = map(&[("filename", Json::from("/tmp/a")), ("z", Json::from(1))]);
        store
            .set(
                "src",
                vec![(
                    partition.clone(),
                    Some(map(&[("position", Json::from(30))])),
                )],
            )
            .unwrap();
        let reordered = map(&[("z", Json::from(1)), ("filename", Json::from("/tmp/a"))]);
        let reopened = FileOffsetStore::open(&path).unwrap();
        assert_eq!(
            reopened.get("src", &reordered),
            Some(map(&[("position", Json::from(30))]))
        );
        assert_eq!(reopened.get("other", &partition), None);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            r#"[["[\"src\",{\"filename\":\"/tmp/a\",\"z\":1}]",{"position":30}]]"#
        );
        fs::write(&path, b"not json").unwrap();
        assert!(FileOffsetStore::open(&path).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
