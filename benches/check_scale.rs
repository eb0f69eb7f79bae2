//! Benchmark of `policybook check` at scale: Kubernetes `List` dumps of 1,000,
//! 2,000 and 10,000 objects (what `kubectl get pods,sa,secrets -A -o yaml`
//! prints) and ARM arrays of growing size (what `az resource list` prints).
//! Each input is checked by the real binary in a child process; the bench reports
//! wall time (best of the runs) and the child's peak RSS (`wait4` rusage), then
//! the scaling ratios: time(10k)/time(1k) near 10 is linear, and peak RSS over
//! input size. Run with `cargo bench --bench check_scale [-- --runs N] [-- --quick]`;
//! a bench binary, not a timed test.

// A bench may unwrap: a panic on bad setup stops the run, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::Value;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One object of a cluster dump, shaped like `kubectl get -o yaml` prints it
/// (a Pod is ~3 KB with its status; service accounts and secrets are small).
/// Some of them break a rule, so findings are produced as on a real cluster.
fn kube_item(out: &mut String, i: usize) {
    let ns = format!("team-{:02}", i % 40);
    match i % 3 {
        0 => {
            let identity = match i % 9 {
                0 => "\n      aadpodidbinding: orders-identity",
                3 => "\n      azure.workload.identity/use: \"true\"",
                _ => "",
            };
            let image = if i.is_multiple_of(21) {
                "docker.io/library/nginx:1.27"
            } else {
                "contoso.azurecr.io/shop/orders-api:2.3.1"
            };
            let secret_env = if i.is_multiple_of(15) {
                "\n      - name: AZURE_CLIENT_SECRET\n        value: not-a-real-secret"
            } else {
                ""
            };
            write!(
                out,
                r#"- apiVersion: v1
  kind: Pod
  metadata:
    annotations:
      kubectl.kubernetes.io/restartedAt: "2026-05-01T10:00:00Z"
    creationTimestamp: "2026-05-01T10:00:{s:02}Z"
    generateName: orders-api-7d9f8b6c5-
    labels:
      app: orders-api
      pod-template-hash: 7d9f8b6c5{identity}
    name: orders-api-7d9f8b6c5-{i:06}
    namespace: {ns}
    ownerReferences:
    - apiVersion: apps/v1
      blockOwnerDeletion: true
      controller: true
      kind: ReplicaSet
      name: orders-api-7d9f8b6c5
      uid: 5b7e0a3c-1f2d-4e6a-9b8c-{i:012}
    resourceVersion: "{rv}"
    uid: 0f1e2d3c-4b5a-4968-8776-{i:012}
  spec:
    automountServiceAccountToken: {automount}
    containers:
    - env:
      - name: ASPNETCORE_URLS
        value: http://+:8080
      - name: KEYVAULT_URL
        value: https://orders-kv.vault.azure.net/{secret_env}
      image: {image}
      imagePullPolicy: IfNotPresent
      livenessProbe:
        failureThreshold: 3
        httpGet:
          path: /healthz
          port: 8080
          scheme: HTTP
        periodSeconds: 10
        successThreshold: 1
        timeoutSeconds: 1
      name: api
      ports:
      - containerPort: 8080
        name: http
        protocol: TCP
      resources:
        limits:
          cpu: 500m
          memory: 256Mi
        requests:
          cpu: 100m
          memory: 128Mi
      terminationMessagePath: /dev/termination-log
      terminationMessagePolicy: File
      volumeMounts:
      - mountPath: /var/run/secrets/kubernetes.io/serviceaccount
        name: kube-api-access-x7k2p
        readOnly: true
    dnsPolicy: ClusterFirst
    enableServiceLinks: true
    nodeName: aks-nodepool1-12345678-vmss00000{node}
    preemptionPolicy: PreemptLowerPriority
    priority: 0
    restartPolicy: Always
    schedulerName: default-scheduler
    securityContext: {{}}
    serviceAccount: orders-api
    serviceAccountName: orders-api
    terminationGracePeriodSeconds: 30
    tolerations:
    - effect: NoExecute
      key: node.kubernetes.io/not-ready
      operator: Exists
      tolerationSeconds: 300
    - effect: NoExecute
      key: node.kubernetes.io/unreachable
      operator: Exists
      tolerationSeconds: 300
    volumes:
    - name: kube-api-access-x7k2p
      projected:
        defaultMode: 420
        sources:
        - serviceAccountToken:
            expirationSeconds: 3607
            path: token
        - configMap:
            items:
            - key: ca.crt
              path: ca.crt
            name: kube-root-ca.crt
        - downwardAPI:
            items:
            - fieldRef:
                apiVersion: v1
                fieldPath: metadata.namespace
              path: namespace
  status:
    conditions:
    - lastProbeTime: null
      lastTransitionTime: "2026-05-01T10:00:05Z"
      status: "True"
      type: Initialized
    - lastProbeTime: null
      lastTransitionTime: "2026-05-01T10:00:09Z"
      status: "True"
      type: Ready
    - lastProbeTime: null
      lastTransitionTime: "2026-05-01T10:00:09Z"
      status: "True"
      type: ContainersReady
    - lastProbeTime: null
      lastTransitionTime: "2026-05-01T10:00:05Z"
      status: "True"
      type: PodScheduled
    containerStatuses:
    - containerID: containerd://{i:064}
      image: {image}
      imageID: contoso.azurecr.io/shop/orders-api@sha256:{i:064}
      lastState: {{}}
      name: api
      ready: true
      restartCount: 0
      started: true
      state:
        running:
          startedAt: "2026-05-01T10:00:08Z"
    hostIP: 10.224.0.{node}
    phase: Running
    podIP: 10.244.{a}.{b}
    podIPs:
    - ip: 10.244.{a}.{b}
    qosClass: Burstable
    startTime: "2026-05-01T10:00:05Z"
"#,
                s = i % 60,
                rv = 1_000_000 + i,
                automount = i.is_multiple_of(2),
                node = i % 9,
                a = (i / 250) % 250,
                b = i % 250,
            )
            .unwrap();
        }
        1 => {
            let annotations = if i % 4 == 1 {
                "\n    annotations:\n      azure.workload.identity/client-id: 6c4f1a2b-8d3e-4f5a-9b0c-1d2e3f4a5b6c"
            } else {
                ""
            };
            write!(
                out,
                r#"- apiVersion: v1
  kind: ServiceAccount
  metadata:{annotations}
    creationTimestamp: "2026-05-01T09:00:00Z"
    name: {name}
    namespace: {ns}
    resourceVersion: "{rv}"
    uid: 7a6b5c4d-3e2f-4a1b-8c9d-{i:012}
"#,
                name = if i % 12 == 1 {
                    "orders-api".to_string()
                } else {
                    format!("app-{i:06}")
                },
                rv = 2_000_000 + i,
            )
            .unwrap();
        }
        _ => {
            let data = if i % 10 == 2 {
                "  AZURE_CLIENT_ID: NmM0ZjFhMmItOGQzZS00ZjVhLTliMGMtMWQyZTNmNGE1YjZj\n    AZURE_CLIENT_SECRET: bm90LWEtcmVhbC1zZWNyZXQ="
            } else {
                "  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJzakNDQVZ1Z0F3SUJBZ0lVYQ==\n    tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2Z0lCQURBTkJna3Foa2lHOQ=="
            };
            write!(
                out,
                r#"- apiVersion: v1
  data:
  {data}
  kind: Secret
  metadata:
    creationTimestamp: "2026-05-01T09:00:00Z"
    name: secret-{i:06}
    namespace: {ns}
    resourceVersion: "{rv}"
    uid: 9c8b7a6d-5e4f-4a3b-8c2d-{i:012}
  type: {ty}
"#,
                rv = 3_000_000 + i,
                ty = if i % 10 == 2 {
                    "Opaque"
                } else {
                    "kubernetes.io/tls"
                },
            )
            .unwrap();
        }
    }
}

/// A `kubectl get pods,sa,secrets -A -o yaml` dump of `n` objects.
fn kube_list(n: usize) -> String {
    let mut out = String::from("apiVersion: v1\nitems:\n");
    for i in 0..n {
        kube_item(&mut out, i);
    }
    out.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
    out
}

/// An `az resource list`-style pretty JSON array of at least `bytes` bytes,
/// cycling through the repository's ARM samples with unique names and ids.
/// Returns the text and the number of resources.
fn arm_array(bytes: usize) -> (String, usize) {
    let mut samples: Vec<Value> = Vec::new();
    let dir = repo_root().join("policies/samples/arm");
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for f in files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        if v.get("type").is_some() {
            samples.push(v);
        }
    }
    let mut out = String::from("[\n");
    let mut n = 0;
    while out.len() < bytes {
        let mut r = samples[n % samples.len()].clone();
        let name = format!("{}-{n}", r["name"].as_str().unwrap_or("r"));
        r["name"] = Value::String(name);
        if let Some(id) = r.get("id").and_then(Value::as_str) {
            r["id"] = Value::String(format!("{id}-{n}"));
        }
        if n > 0 {
            out.push_str(",\n");
        }
        out.push_str(&serde_json::to_string_pretty(&r).unwrap());
        n += 1;
    }
    out.push_str("\n]\n");
    (out, n)
}

struct Measure {
    seconds: f64,
    peak_rss: u64,
}

/// Runs `policybook check FILE` through a fresh copy of this bench (`--measure`):
/// Linux counts the memory of the process that spawned a child into the child's
/// peak RSS, and this process holds the generated inputs; the copy holds nothing.
fn run_check(file: &Path, format: &str) -> (Measure, Vec<u8>) {
    let out_file = file.with_extension("out");
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--measure")
        .args([file, Path::new(format), &out_file])
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(out.status.success(), "measuring {} failed", file.display());
    let text = String::from_utf8(out.stdout).unwrap();
    let (seconds, peak_rss) = text.trim().split_once(' ').unwrap();
    (
        Measure {
            seconds: seconds.parse().unwrap(),
            peak_rss: peak_rss.parse().unwrap(),
        },
        std::fs::read(&out_file).unwrap(),
    )
}

/// `--measure FILE FORMAT OUT`: runs the check once, prints seconds and peak RSS.
// The child is reaped by `wait4` (for its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn measure_child(file: &Path, format: &str, out_file: &Path) {
    let start = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_policybook"))
        .arg("--root")
        .arg(repo_root())
        .args(["check", "--format", format])
        .arg(file)
        .stdout(std::fs::File::create(out_file).unwrap())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run policybook");
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(r, pid, "wait4 failed");
    let code = libc::WEXITSTATUS(status);
    assert!(
        libc::WIFEXITED(status) && (code == 0 || code == 1),
        "check of {} failed (status {status})",
        file.display()
    );
    // ru_maxrss is in KiB on Linux.
    println!("{seconds} {}", usage.ru_maxrss as u64 * 1024);
}

/// Best time of `runs` (after the first run checked the report), highest peak RSS.
fn measure(file: &Path, expected: usize, runs: usize) -> Measure {
    let (first, out) = run_check(file, "json");
    let report: Value = serde_json::from_slice(&out).expect("JSON report");
    assert_eq!(
        report["summary"]["resources"].as_u64(),
        Some(expected as u64),
        "{} resources",
        file.display()
    );
    let mut best = first;
    for _ in 0..runs {
        let (m, _) = run_check(file, "human");
        best.seconds = best.seconds.min(m.seconds);
        best.peak_rss = best.peak_rss.max(m.peak_rss);
    }
    best
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--measure") {
        let a = &args[i + 1..i + 4];
        measure_child(Path::new(&a[0]), &a[1], Path::new(&a[2]));
        return;
    }
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let quick = args.iter().any(|a| a == "--quick");
    // `--keep` leaves the generated inputs for a profiler.
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _cleanup) = if args.iter().any(|a| a == "--keep") {
        (tmp.keep(), None)
    } else {
        (tmp.path().to_path_buf(), Some(tmp))
    };
    println!("inputs in {}", dir.display());
    println!(
        "policybook check at scale: {} cores, best of {runs} runs (+1 checked), child peak RSS",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    println!("\nKubernetes List (kubectl get pods,sa,secrets -A -o yaml)");
    println!("| objects | YAML | time | peak RSS | RSS / input |");
    println!("|---:|---:|---:|---:|---:|");
    let sizes: &[usize] = if quick {
        &[1_000, 2_000]
    } else {
        &[1_000, 2_000, 10_000]
    };
    let mut kube = Vec::new();
    for &n in sizes {
        let text = kube_list(n);
        let file = dir.join(format!("cluster-{n}.yaml"));
        std::fs::write(&file, &text).unwrap();
        let m = measure(&file, n, runs);
        println!(
            "| {n} | {:.1} MB | {:.3} s | {:.0} MB | {:.1}x |",
            mb(text.len() as u64),
            m.seconds,
            mb(m.peak_rss),
            m.peak_rss as f64 / text.len() as f64
        );
        kube.push((n, m));
    }
    for (n, m) in &kube[1..] {
        println!(
            "time({n})/time({}) = {:.2} (linear: {:.1})",
            kube[0].0,
            m.seconds / kube[0].1.seconds,
            *n as f64 / kube[0].0 as f64
        );
    }

    println!("\nARM array (az resource list)");
    println!("| resources | JSON | time | peak RSS | RSS / input |");
    println!("|---:|---:|---:|---:|---:|");
    let targets: &[usize] = if quick {
        &[10_000_000, 20_000_000]
    } else {
        &[10_000_000, 25_000_000, 50_000_000, 100_000_000]
    };
    let mut arm = Vec::new();
    for &bytes in targets {
        let (text, n) = arm_array(bytes);
        let file = dir.join(format!("resources-{n}.json"));
        std::fs::write(&file, &text).unwrap();
        let len = text.len() as u64;
        drop(text);
        let m = measure(&file, n, runs);
        println!(
            "| {n} | {:.1} MB | {:.3} s | {:.0} MB | {:.2}x |",
            mb(len),
            m.seconds,
            mb(m.peak_rss),
            m.peak_rss as f64 / len as f64
        );
        arm.push((n, m));
    }
    for (n, m) in &arm[1..] {
        println!(
            "time({n})/time({}) = {:.2} (linear: {:.1})",
            arm[0].0,
            m.seconds / arm[0].1.seconds,
            *n as f64 / arm[0].0 as f64
        );
    }
}
