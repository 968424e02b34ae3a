package schema

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	_ "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
)

// OptionsFile is the import path of weir's own options.
const OptionsFile = "weir/options/v1/options.proto"

//go:embed weir/options/v1/options.proto
var optionsSource string

// Set is a compiled, linked set of proto files.
type Set struct {
	files *protoregistry.Files
	roots []string // the files asked for (not their imports)
}

// Compile compiles .proto files found under importPaths. Imports of the
// well-known types, buf/validate/validate.proto and weir's options resolve
// without files on disk. Errors carry file:line:column.
func Compile(ctx context.Context, importPaths []string, files ...string) (*Set, error) {
	if len(files) == 0 {
		return nil, errors.New("schema: no proto files given")
	}
	if len(importPaths) == 0 {
		importPaths = []string{"."}
	}
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(protocompile.CompositeResolver{
			&protocompile.SourceResolver{ImportPaths: importPaths},
			protocompile.ResolverFunc(builtin),
		}),
		SourceInfoMode: protocompile.SourceInfoStandard,
		Reporter:       reporter.NewReporter(nil, nil),
	}
	linked, err := c.Compile(ctx, files...)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	reg := &protoregistry.Files{}
	for _, f := range linked {
		if err := register(reg, f); err != nil {
			return nil, err
		}
	}
	return &Set{files: reg, roots: files}, nil
}

// builtin serves weir's options from source and buf.validate from the
// descriptors compiled into this binary.
func builtin(path string) (protocompile.SearchResult, error) {
	if path == OptionsFile {
		return protocompile.SearchResult{Source: strings.NewReader(optionsSource)}, nil
	}
	if d, err := protoregistry.GlobalFiles.FindFileByPath(path); err == nil && strings.HasPrefix(path, "buf/validate/") {
		return protocompile.SearchResult{Desc: d}, nil
	}
	return protocompile.SearchResult{}, fmt.Errorf("%s: %w", path, fsNotExist)
}

var fsNotExist = errors.New("file not found")

// register adds f and its imports, once each.
func register(reg *protoregistry.Files, f protoreflect.FileDescriptor) error {
	if _, err := reg.FindFileByPath(f.Path()); err == nil {
		return nil
	}
	imports := f.Imports()
	for i := 0; i < imports.Len(); i++ {
		if err := register(reg, imports.Get(i).FileDescriptor); err != nil {
			return err
		}
	}
	return reg.RegisterFile(f)
}

// FromDescriptorSet links a FileDescriptorSet (as a module carries it).
func FromDescriptorSet(fds *descriptorpb.FileDescriptorSet) (*Set, error) {
	files, err := protodesc.NewFiles(fds)
	if err != nil {
		return nil, fmt.Errorf("schema: descriptor set: %w", err)
	}
	return &Set{files: files}, nil
}

// Message resolves a message type by full name.
func (s *Set) Message(name string) (protoreflect.MessageDescriptor, error) {
	d, err := s.files.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return nil, fmt.Errorf("schema: message %q: not found in %s", name, strings.Join(s.paths(), ", "))
	}
	md, ok := d.(protoreflect.MessageDescriptor)
	if !ok {
		return nil, fmt.Errorf("schema: %q is a %T, not a message", name, d)
	}
	return md, nil
}

func (s *Set) paths() []string {
	var out []string
	s.files.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		out = append(out, f.Path())
		return true
	})
	return out
}

// DescriptorSet returns every file of the set (imports first), for a
// module to carry the types it was built against.
func (s *Set) DescriptorSet() *descriptorpb.FileDescriptorSet {
	fds := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var add func(f protoreflect.FileDescriptor)
	add = func(f protoreflect.FileDescriptor) {
		if seen[f.Path()] {
			return
		}
		seen[f.Path()] = true
		for i := 0; i < f.Imports().Len(); i++ {
			add(f.Imports().Get(i).FileDescriptor)
		}
		fds.File = append(fds.File, protodesc.ToFileDescriptorProto(f))
	}
	s.files.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		add(f)
		return true
	})
	return fds
}
