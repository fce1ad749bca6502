module github.com/seed26e043ee/client

go 1.26.0

require (
	github.com/ugorji/go/codec v1.3.2
	go.uber.org/goleak v1.3.0
	golang.org/x/net v0.61.0
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/kr/text v0.2.0 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	github.com/stretchr/testify v1.11.1
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
