module example.gov/siem-collector

go 1.21

require (
	github.com/wazuh/wazuh v4.7.0+incompatible
	golang.org/x/net v0.15.0
	golang.org/x/crypto v0.14.0
	github.com/gorilla/mux v1.8.0
)
