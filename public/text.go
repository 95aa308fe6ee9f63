package public

import (
	"embed"
	"encoding/json"
	"path"
	"strings"
)

//go:embed i18n/*.json
var textFiles embed.FS

// TextFallback is the language whose strings stand in for a language the
// shop front's interface is not translated into.
const TextFallback = "en"

// texts are the shop front's interface strings by language, from
// i18n/<lang>.json: flat objects of key → text (fmt verbs where a value is
// put in).
var texts = loadTexts()

func loadTexts() map[string]map[string]string {
	out := map[string]map[string]string{}
	files, err := textFiles.ReadDir("i18n")
	if err != nil {
		panic(err) // unreachable: embedded
	}
	for _, f := range files {
		b, err := textFiles.ReadFile(path.Join("i18n", f.Name()))
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic("public: i18n/" + f.Name() + ": " + err.Error())
		}
		out[strings.TrimSuffix(f.Name(), ".json")] = m
	}
	return out
}

// Text is the interface strings of lang, and the language they are in:
// lang's own when the interface is translated into it, else TextFallback's.
func Text(lang string) (map[string]string, string) {
	if m, ok := texts[lang]; ok {
		return m, lang
	}
	return texts[TextFallback], TextFallback
}
