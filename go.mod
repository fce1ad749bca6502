module github.com/seed26e043ee/client

go 1.26.0

require (
	github.com/stretchr/testify v1.12.1
	github.com/ugorji/go/codec v1.3.2
	go.uber.org/goleak v1.3.0
	golang.org/x/net v0.61.0
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
