-- bench/keyinfo.lua: wrk script of bench/keyinfo.sh. Every request carries
-- the logged-in session (BENCH_COOKIE, e.g. "jx_session=..."), so the
-- server looks the session up and checks the scope as for a real admin.
-- At the end one line for the script to parse:
--   KEYINFO requests p50_ms p99_ms non_2xx socket_errors
wrk.method = "GET"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.headers["Accept"] = "application/json"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("KEYINFO %d %.3f %.3f %d %d\n", summary.requests,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
