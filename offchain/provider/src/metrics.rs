//! Prometheus metrics, served at `/metrics` on `[metrics] listen`.

use prometheus::{
	Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
	TextEncoder,
};

/// Every metric of the daemon.
pub struct Metrics {
	registry: Registry,
	/// Orders looked at.
	pub orders_seen: IntCounter,
	/// Orders not bid on, by reason.
	pub orders_declined: IntCounterVec,
	/// Bids, by outcome (`placed`, `failed`).
	pub bids: IntCounterVec,
	/// Seconds from seeing the order's block to the bid's inclusion.
	pub bid_latency: Histogram,
	/// Blocks from the order's block to the bid's.
	pub bid_blocks: Histogram,
	/// Leases by state (`provisioning`, `running`, `closing`).
	pub leases: IntGaugeVec,
	/// Usage records submitted and confirmed.
	pub usage_records: IntCounter,
	/// Quantities billed, by unit.
	pub usage_billed: IntCounterVec,
	/// Backend errors, by backend and operation.
	pub backend_errors: IntCounterVec,
	/// Chain errors, by operation.
	pub chain_errors: IntCounterVec,
	/// Kubernetes reconciles of a lease's namespace, by result (`ok`, `failed`).
	pub reconciles: IntCounterVec,
}

impl Metrics {
	/// A fresh set.
	pub fn new() -> Result<Metrics, prometheus::Error> {
		let registry = Registry::new_custom(Some("virtengine_provider".into()), None)?;
		let counter = |name: &str, help: &str| -> Result<IntCounter, prometheus::Error> {
			let c = IntCounter::new(name, help)?;
			registry.register(Box::new(c.clone()))?;
			Ok(c)
		};
		let counter_vec =
			|name: &str, help: &str, labels: &[&str]| -> Result<IntCounterVec, prometheus::Error> {
				let c = IntCounterVec::new(Opts::new(name, help), labels)?;
				registry.register(Box::new(c.clone()))?;
				Ok(c)
			};
		let histogram =
			|name: &str, help: &str, buckets: Vec<f64>| -> Result<Histogram, prometheus::Error> {
				let h = Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets))?;
				registry.register(Box::new(h.clone()))?;
				Ok(h)
			};
		let leases = IntGaugeVec::new(Opts::new("leases", "Leases by state"), &["state"])?;
		registry.register(Box::new(leases.clone()))?;
		Ok(Metrics {
			orders_seen: counter("orders_seen_total", "Orders looked at")?,
			orders_declined: counter_vec(
				"orders_declined_total",
				"Orders not bid on, by reason",
				&["reason"],
			)?,
			bids: counter_vec("bids_total", "Bids, by outcome", &["outcome"])?,
			bid_latency: histogram(
				"bid_latency_seconds",
				"From seeing an order's block to the bid's inclusion",
				vec![0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0],
			)?,
			bid_blocks: histogram(
				"bid_blocks",
				"Blocks from an order's block to its bid's",
				vec![1.0, 2.0, 3.0, 4.0, 6.0, 10.0, 20.0],
			)?,
			leases,
			usage_records: counter("usage_records_total", "Usage records confirmed on chain")?,
			usage_billed: counter_vec(
				"usage_billed_total",
				"Quantities billed, by unit",
				&["unit"],
			)?,
			reconciles: counter_vec(
				"reconciles_total",
				"Kubernetes reconciles of a lease's namespace, by result",
				&["result"],
			)?,
			backend_errors: counter_vec(
				"backend_errors_total",
				"Backend errors, by backend and operation",
				&["backend", "operation"],
			)?,
			chain_errors: counter_vec(
				"chain_errors_total",
				"Chain errors, by operation",
				&["operation"],
			)?,
			registry,
		})
	}

	/// The text exposition format.
	pub fn render(&self) -> Vec<u8> {
		let mut out = Vec::new();
		// Encoding our own registry into a Vec cannot fail but for a broken metric name,
		// which the constructor would have refused.
		let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
		out
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn metrics_render_with_their_prefix() {
		let m = Metrics::new().expect("metrics");
		m.orders_seen.inc();
		m.bids.with_label_values(&["placed"]).inc();
		m.bid_latency.observe(1.5);
		let text = String::from_utf8(m.render()).expect("utf-8");
		assert!(text.contains("virtengine_provider_orders_seen_total 1"), "{text}");
		assert!(text.contains("virtengine_provider_bids_total{outcome=\"placed\"} 1"), "{text}");
		assert!(
			text.contains("virtengine_provider_bid_latency_seconds_bucket{le=\"2\"} 1"),
			"{text}"
		);
	}
}
