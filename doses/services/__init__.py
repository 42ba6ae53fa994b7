"""Every write, one module per sub-domain: injections, records, regimens, holds, log_records, alerts,
summaries (refusals holds the exceptions they raise). Keyword-only arguments, one transaction each."""
