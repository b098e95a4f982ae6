"""Monitoring alerts in: integrations and their receivers' secrets (integrations), the payloads
of Alertmanager, Grafana and our generic signed JSON read alike (payloads), and what an alert does
to a component or an incident, with dedupe, hold-down and restoring only what it set (handling).
"""
