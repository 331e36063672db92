# One `stockade serve` per client node, as a Nomad system job (docs/operators.md,
# "One daemon per host"). raw_exec runs it as the host's root, outside any
# container, so the sandboxes get what they need (namespaces, a fresh /proc,
# cgroups, seccomp) exactly as under systemd; the node provides
# /etc/stockade/stockade.json, the whitelist and the plugins folder, owned by
# root. Enable raw_exec on the clients (plugin "raw_exec" { config { enabled = true } }).
# Where the node runs systemd, prefer the package's stockade.service.
job "stockade" {
  type = "system"

  group "stockade" {
    task "serve" {
      driver = "raw_exec"

      config {
        command = "/usr/bin/stockade"
        args    = ["serve", "--config", "/etc/stockade/stockade.json", "--log-format", "json"]
      }

      # SIGTERM lets calls in flight finish within the shutdown grace.
      kill_signal  = "SIGTERM"
      kill_timeout = "30s"

      resources {
        cpu    = 200
        memory = 256
      }
    }
  }
}
