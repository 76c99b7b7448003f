// waiters.mjs — what the stand-ins share: the list of received requests
// tests can wait on. A stand-in pushes to `received` and calls wake() once
// an entry is complete; waitFor(pred, timeoutMs) resolves with the first
// entry (now or later) for which pred is true, and rejects after
// timeoutMs naming the stand-in.

export function requestLog(name) {
	const received = [];
	const waiters = new Set();
	return {
		received,
		wake() {
			for (const w of [...waiters])
				w();
		},
		waitFor(pred = () => true, timeoutMs = 10000) {
			return new Promise((resolve, reject) => {
				const check = () => {
					const hit = received.find(pred);
					if (hit) {
						waiters.delete(check);
						clearTimeout(timer);
						resolve(hit);
						return true;
					}
					return false;
				};
				const timer = setTimeout(() => {
					waiters.delete(check);
					reject(new Error(`the ${name} received no matching request within ${timeoutMs} ms (got ${received.length})`));
				}, timeoutMs);
				if (!check())
					waiters.add(check);
			});
		},
	};
}
