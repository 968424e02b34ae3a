//! The Rust SDK's guest for the projection conformance vectors
//! (sdk/testdata/projection.json, docs/abi.md §4b). Its config is
//! `{"paths": [...]}`: it declares those paths and obeys the command in
//! each string field, in field order, as the Go and C guests do: keep |
//! set:TEXT | json:RAW | drop | error:MSG | route:P1,P2 | meta:K=V |
//! getmeta:K | type | fanout:N; any other string fails the record. An error
//! ends the record; fields of other types get no replacement.

use weir::json::{self, Value};
use weir::{Error, FieldType, Record};

struct Fields {
    paths: Vec<String>,
}

impl weir::Transform for Fields {
    fn init(config: &[u8]) -> Result<Self, Error> {
        let config = json::parse(config).map_err(|e| format!("config: {}", e))?;
        let mut paths = Vec::new();
        if let Some(Value::Array(list)) = config.get("paths") {
            for p in list {
                paths.push(p.as_str().ok_or("config: paths: want strings")?.to_string());
            }
        }
        Ok(Fields { paths })
    }

    fn paths(&self) -> Vec<String> {
        self.paths.clone()
    }

    fn fields(&mut self, r: &mut Record) -> Result<(), Error> {
        for i in 0..r.field_count() {
            if let Some((_, FieldType::String, v)) = r.field(i) {
                let cmd = String::from_utf8_lossy(v).into_owned();
                obey(r, i, &cmd)?;
            }
        }
        Ok(())
    }
}

fn obey(r: &mut Record, i: usize, cmd: &str) -> Result<(), Error> {
    let (verb, arg) = cmd.split_once(':').unwrap_or((cmd, ""));
    match verb {
        "keep" => {}
        "set" => r.set_string(i, arg)?,
        "json" => r.set_json(i, arg.as_bytes())?,
        "drop" => r.drop(),
        "error" => return Err(arg.into()),
        "route" => arg.split(',').for_each(|p| r.route(p)),
        "meta" => {
            let (k, v) = arg.split_once('=').unwrap_or((arg, ""));
            r.set_meta(k, v.as_bytes());
        }
        "getmeta" => {
            let v = r.meta(arg).map(|v| String::from_utf8_lossy(v).into_owned());
            r.set_string(i, v.as_deref().unwrap_or("<none>"))?;
        }
        "type" => {
            let t = r.field(i).map_or(0, |f| f.1 as u8);
            r.set_string(i, &t.to_string())?;
        }
        "fanout" => {
            for k in 0..arg.parse::<u32>().unwrap_or(0) {
                r.set_string(i, &k.to_string())?;
                r.emit_fields(&[]);
            }
        }
        _ => return Err(format!("unknown command {}", verb).into()),
    }
    Ok(())
}

weir::export!(Fields);
