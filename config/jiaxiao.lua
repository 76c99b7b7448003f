-- jiaxiao deployment configuration: a Lua file returning a table.
-- Every key here can be overridden with `--set KEY=VALUE` (dotted path).
-- Relative paths resolve against the directory jiaxiao is started from.
return {
  listen = "127.0.0.1:8080",
  -- Worker threads: civetweb holds one per open connection (keep-alive
  -- included) until it closes, so keep this above the connections you
  -- expect open at once; beyond it new clients wait. Each costs a 100 KiB
  -- stack, about 0.6 MiB once it has served a request (its database
  -- connection and Lua state) and 4 file descriptors (docs/BENCHMARKS.md).
  threads = 512,
  http = {
    -- A new connection's request line and headers must all arrive
    -- within this (slowloris clients hold a thread at most this long);
    -- also the longest a body read or a reply write may stall.
    header_timeout_ms = 10000,
    -- An idle keep-alive connection gives its thread back after this.
    keep_alive_ms = 2000,
  },
  data_dir = "data",
  plugin_dir = "build/plugins",
  -- Plugins built outside the tree, searched after plugin_dir: each
  -- directory holds <name>/jx_<name>.so (with its templates/ beside it)
  -- or jx_<name>.so. A name also in plugin_dir loads from plugin_dir.
  -- plugin_path = { "/opt/jiaxiao/plugins" },   -- or one string
  -- plugins = { "sms", "roster" },   -- default: every plugin found
  public_url = "http://127.0.0.1:8080",
  -- Behind the TLS-terminating proxy (docs/nginx-jiaxiao.conf):
  tls = false,
  trusted_proxies = {},
  timezone = "Asia/Shanghai",
  session = { idle_minutes = 30, absolute_hours = 12 },
  lua = { instructions = 10000000, memory_mb = 32 },
  -- A login waits at most queue_wait_ms for one of the argon2_concurrency
  -- hash slots, and only while fewer than queue_length logins wait;
  -- otherwise it answers 503 with Retry-After.
  auth = { argon2_concurrency = 2, spray_failures_per_minute = 100,
           queue_length = 64, queue_wait_ms = 10000 },
  limits = {
    body_bytes = 1048576,
    upload_bytes = 20971520,
    sheet_uncompressed_bytes = 209715200,
  },
  -- The file service (README, "Files"): bytes each school may upload in
  -- all (school_quota_bytes for every school, schools[id] for one; unset
  -- or 0: no quota; over it uploads get 507), and how long a file no row
  -- uses is kept after its upload before the daily sweep removes it.
  files = {
    -- school_quota_bytes = 10737418240,
    -- schools = { [12] = 53687091200 },
    orphan_grace_seconds = 86400,
  },
  wechat = {
    api_base = "https://api.weixin.qq.com",
    -- appid = "", secret = "", token = "", template_id = "",
    -- A template id per message template, and the template's data key
    -- per parameter (default: the parameter's own name):
    -- templates = { notice_remind = "" },
    -- fields = { title = "thing1", from = "thing2", sent_at = "time3" },
  },
  -- Outbox delivery: threads claiming batches, rows per batch (at most
  -- workers x batch messages are in flight, and may repeat after a
  -- crash), concurrent channel calls.
  -- notify = { workers = 2, batch = 64, lanes = 32 },
  sms = {
    -- api_base = "http://sms-gateway.example:8000",
  },
  -- Per-district module switches: a district without an entry has every
  -- loaded plugin enabled.
  districts = {
    -- ["430102"] = { modules = { "roster", "keyinfo", "notices" } },
  },
}
