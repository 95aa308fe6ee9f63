package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bazaar/bazaar/config"
)

func configCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration (secrets masked)",
		Long: `Prints every configuration key with its effective value: the embedded defaults
for BAZAAR_ENV, then the file named by BAZAAR_CONFIG, then BAZAAR_* variables.
A key a.b_c is set by the variable BAZAAR_A_B_C. Secrets are masked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, kv := range cfg.Masked() {
				fmt.Fprintf(w, "%s\t%s\n", kv.Key, kv.Value)
			}
			return w.Flush()
		},
	}
}
