"""The emulated VPC API (version 2016-04-28): VPN gateways, IPsec connections, diagnoses."""
