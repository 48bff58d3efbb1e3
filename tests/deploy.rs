//! The container image and Kubernetes manifests, checked without a cluster:
//! the manifests parse, carry the fields Kubernetes requires, grant only the
//! capabilities mipset needs, and the reconciler's ConfigMap is a
//! configuration mipset itself accepts. Each document is also read into its
//! typed Kubernetes object (k8s-openapi) with unknown fields refused, as
//! `kubectl apply --validate=strict` would (#14).

use serde_json::Value;

fn docs(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse(path, &text)
}

fn parse(path: &str, text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|d| {
            let v: Value =
                serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{path}: {e}"));
            v
        })
        .collect()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Fields every object and every DaemonSet must have.
fn check_common(path: &str, d: &Value) {
    for field in ["apiVersion", "kind"] {
        assert!(d[field].is_string(), "{path}: {field} missing in {d}");
    }
    assert!(d["metadata"]["name"].is_string(), "{path}: metadata.name");
    if d["kind"] == "DaemonSet" {
        assert_eq!(d["apiVersion"], "apps/v1");
        let selector = d["spec"]["selector"]["matchLabels"]
            .as_object()
            .expect("selector");
        let labels = &d["spec"]["template"]["metadata"]["labels"];
        for (k, v) in selector {
            assert_eq!(
                &labels[k], v,
                "{path}: the selector must match the pod labels"
            );
        }
        let pod = &d["spec"]["template"]["spec"];
        for c in pod["containers"]
            .as_array()
            .unwrap()
            .iter()
            .chain(pod["initContainers"].as_array().into_iter().flatten())
        {
            assert!(
                c["name"].is_string()
                    && c["image"]
                        .as_str()
                        .is_some_and(|i| i.starts_with("mipset:")),
                "{path}: {c}"
            );
            assert_ne!(
                c["securityContext"]["privileged"], true,
                "{path}: no privileged containers"
            );
            assert!(
                strings(&c["securityContext"]["capabilities"]["drop"]).contains(&"ALL"),
                "{path}: {c}"
            );
        }
    }
}

/// `v` read as the Kubernetes object `T` and written back.
fn round_trip<T>(v: &Value) -> Result<Value, String>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let typed: T = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(typed).map_err(|e| e.to_string())
}

/// Keys of `original` (at any depth) that `kept` lacks: fields the typed
/// object does not know, e.g. a misspelled one.
fn dropped(original: &Value, kept: &Value, at: &str, out: &mut Vec<String>) {
    match (original, kept) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let here = format!("{at}.{k}");
                match b.get(k) {
                    Some(w) => dropped(v, w, &here, out),
                    // A null, empty list or empty object written out may
                    // come back absent: nothing was lost.
                    None if is_empty(v) => {}
                    None => out.push(here),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, v) in a.iter().enumerate() {
                match b.get(i) {
                    Some(w) => dropped(v, w, &format!("{at}[{i}]"), out),
                    None => out.push(format!("{at}[{i}]")),
                }
            }
        }
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// A manifest document read strictly as the typed object its `kind` names:
/// Err names what Kubernetes would refuse (a bad value or an unknown field).
fn strict(d: &Value) -> Result<(), String> {
    use k8s_openapi::api::{apps::v1 as apps, core::v1 as core, rbac::v1 as rbac};
    let kind = d["kind"].as_str().unwrap_or_default();
    let kept = match kind {
        "DaemonSet" => round_trip::<apps::DaemonSet>(d),
        "Deployment" => round_trip::<apps::Deployment>(d),
        "ConfigMap" => round_trip::<core::ConfigMap>(d),
        "ServiceAccount" => round_trip::<core::ServiceAccount>(d),
        "Namespace" => round_trip::<core::Namespace>(d),
        "ClusterRole" => round_trip::<rbac::ClusterRole>(d),
        "ClusterRoleBinding" => round_trip::<rbac::ClusterRoleBinding>(d),
        "Role" => round_trip::<rbac::Role>(d),
        "RoleBinding" => round_trip::<rbac::RoleBinding>(d),
        other => return Err(format!("kind {other:?} is not checked here: add it")),
    }?;
    let mut unknown = Vec::new();
    dropped(d, &kept, "", &mut unknown);
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!("{kind}: unknown field(s) {}", unknown.join(", ")))
    }
}

const MANIFESTS: [&str; 2] = ["deploy/bench.yaml", "deploy/reconciler.yaml"];

#[test]
fn every_manifest_is_its_typed_kubernetes_object_with_no_unknown_field() {
    let listed: Vec<String> = std::fs::read_dir("deploy")
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".yaml") || p.ends_with(".yml"))
        .collect();
    for p in &listed {
        assert!(MANIFESTS.contains(&p.as_str()), "{p}: add it to MANIFESTS");
    }
    for path in MANIFESTS {
        let all = docs(path);
        assert!(!all.is_empty(), "{path}: no documents");
        for d in &all {
            strict(d).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
}

/// The check refuses what `kubectl apply --validate=strict` refuses: a
/// misspelled field anywhere, an unknown top-level field, a wrong type.
#[test]
fn a_misspelled_field_in_a_manifest_is_refused() {
    let all = docs("deploy/bench.yaml");
    let ds = all.iter().find(|d| d["kind"] == "DaemonSet").unwrap();
    assert_eq!(strict(ds), Ok(()));
    // A copy of the manifest with `containers:` misspelled.
    let text = std::fs::read_to_string("deploy/bench.yaml").unwrap();
    assert_eq!(text.matches("      containers:").count(), 1);
    let typo = parse(
        "typo.yaml",
        &text.replace("      containers:", "      contianers:"),
    );
    let typo = typo.iter().find(|d| d["kind"] == "DaemonSet").unwrap();
    let e = strict(typo).unwrap_err();
    assert!(e.contains(".spec.template.spec.contianers"), "{e}");
    // imagePullPolicy, misspelled, inside a container
    let mut typo = ds.clone();
    typo["spec"]["template"]["spec"]["initContainers"][0]["imagePullPolice"] =
        Value::from("IfNotPresent");
    let e = strict(&typo).unwrap_err();
    assert!(
        e.contains(".spec.template.spec.initContainers[0].imagePullPolice"),
        "{e}"
    );
    // an unknown top-level field, and a value of the wrong type
    let mut typo = ds.clone();
    typo["metdata"] = Value::from("x");
    assert!(strict(&typo).unwrap_err().contains("metdata"));
    let mut typo = ds.clone();
    typo["spec"]["template"]["spec"]["hostNetwork"] = Value::from("yes");
    assert!(strict(&typo).is_err());
}

#[test]
fn the_reconciler_daemonset_runs_a_configuration_mipset_accepts() {
    let path = "deploy/reconciler.yaml";
    let all = docs(path);
    all.iter().for_each(|d| check_common(path, d));
    let config_map = all
        .iter()
        .find(|d| d["kind"] == "ConfigMap")
        .expect("a ConfigMap");
    let ds = all
        .iter()
        .find(|d| d["kind"] == "DaemonSet")
        .expect("a DaemonSet");
    let pod = &ds["spec"]["template"]["spec"];
    assert_eq!(pod["hostNetwork"], true, "the node's own network namespace");
    let c = &pod["containers"][0];
    let caps = strings(&c["securityContext"]["capabilities"]["add"]);
    // NET_BIND_SERVICE: the node lock is a privileged port.
    assert!(
        caps.contains(&"NET_ADMIN")
            && caps.contains(&"NET_BIND_SERVICE")
            && !caps.contains(&"SYS_ADMIN"),
        "{caps:?}"
    );
    let args = strings(&c["args"]);
    assert_eq!(args[0], "reconcile");
    // The configuration file is mounted from the ConfigMap...
    let config_path = std::path::Path::new(args[1]);
    let mount = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| config_path.starts_with(m["mountPath"].as_str().unwrap()))
        .expect("a mount holding the configuration");
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == mount["name"])
        .expect("the mounted volume");
    assert_eq!(volume["configMap"]["name"], config_map["metadata"]["name"]);
    let data = &config_map["data"];
    let file_name = config_path.file_name().unwrap().to_str().unwrap();
    let toml = data[file_name]
        .as_str()
        .expect("the configuration in the ConfigMap");
    // ...and it is one mipset accepts, whose lists are in the ConfigMap too.
    let plan =
        mipset::reconcile::config::parse(toml, config_path).unwrap_or_else(|e| panic!("{e}"));
    assert!(!plan.families.is_empty());
    for f in &plan.families {
        let list = f.source.file_name().unwrap().to_str().unwrap();
        assert!(f.source.starts_with(config_path.parent().unwrap()));
        let text = data[list]
            .as_str()
            .unwrap_or_else(|| panic!("{list} is not in the ConfigMap"));
        let spec = &f.spec;
        mipset::listfile::read(&mut std::io::Cursor::new(text.as_bytes()), list, spec)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // The metrics file lands on a hostPath for the node exporter.
    let metrics = plan.metrics_file.expect("metrics_file");
    assert!(c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| metrics.starts_with(m["mountPath"].as_str().unwrap())));
}

#[test]
fn the_bench_daemonset_prints_json_from_a_private_namespace() {
    let path = "deploy/bench.yaml";
    let all = docs(path);
    all.iter().for_each(|d| check_common(path, d));
    let ds = all
        .iter()
        .find(|d| d["kind"] == "DaemonSet")
        .expect("a DaemonSet");
    let pod = &ds["spec"]["template"]["spec"];
    assert_ne!(pod["hostNetwork"], true, "the bench needs no host network");
    let bench = &pod["initContainers"][0];
    let args = strings(&bench["args"]);
    assert_eq!(&args[..3], ["bench", "--format", "json"]);
    assert!(!args.contains(&"--in-place"));
    let caps = strings(&bench["securityContext"]["capabilities"]["add"]);
    assert!(
        caps.contains(&"SYS_ADMIN"),
        "unshare(CLONE_NEWNET) needs SYS_ADMIN"
    );
}

#[test]
fn the_dockerfile_builds_in_one_stage_or_takes_a_prebuilt_binary_and_runs_in_a_slim_one() {
    let text = std::fs::read_to_string("Dockerfile").unwrap();
    let froms: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(
        froms,
        [
            "FROM ${BUILDER_IMAGE} AS builder",
            "FROM scratch AS prebuilt",
            "FROM ${MIPSET_FROM} AS mipset",
            "FROM ${RUNTIME_IMAGE} AS runtime",
        ],
        "the runtime stage last (the default target), its files from the selected stage"
    );
    // Public defaults; scripts/image-check overrides them with local images.
    for default in [
        "ARG BUILDER_IMAGE=rust:1-bookworm",
        "ARG RUNTIME_IMAGE=debian:bookworm-slim",
        "ARG MIPSET_FROM=builder",
    ] {
        assert!(text.lines().any(|l| l == default), "{default}");
    }
    // One static binary, built as scripts/build builds it: no C library
    // to install for building or running.
    assert!(text.contains("RUN scripts/build"), "the static build");
    for gone in ["libipset", "libmnl", "libclang"] {
        assert!(!text.contains(gone), "{gone}");
        assert!(!std::fs::read_to_string("scripts/deps")
            .unwrap()
            .contains(gone));
    }
    assert!(text.contains("iptables"));
    // Both stages put the same files at the same paths.
    assert!(text.contains("COPY target/release/mipset /src/target/release/mipset"));
    assert!(text.contains("COPY --from=mipset /src/target/release/mipset /usr/local/bin/mipset"));
    assert!(!text.contains("COPY --from=builder") && !text.contains("COPY --from=prebuilt"));
    assert!(
        std::fs::read_to_string("scripts/build")
            .unwrap()
            .contains("--locked"),
        "reproducible: build from Cargo.lock"
    );
}
