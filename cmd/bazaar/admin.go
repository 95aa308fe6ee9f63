package main

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bazaar/bazaar/internal/fault"
	"github.com/bazaar/bazaar/internal/identity"
)

func adminCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "admin", Short: "Platform administration"}
	cmd.AddCommand(createSuperuserCmd())
	return cmd
}

func createSuperuserCmd() *cobra.Command {
	var email, first, last string
	var passwordStdin bool
	c := &cobra.Command{
		Use:   "create-superuser --email EMAIL",
		Short: "Create a platform super admin (or promote an existing user)",
		Long: `Creates a user with the platform's super admin role. The password is read
from standard input with --password-stdin, or generated and printed once.
An existing user with this email is promoted instead; their password stays.`,
		Args: cobra.NoArgs,
		RunE: withApp(func(cmd *cobra.Command, a *app, _ []string) error {
			if email == "" {
				return errors.New("--email is required")
			}
			svc, err := a.services()
			if err != nil {
				return err
			}
			password, generated := "", false
			if passwordStdin {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("read the password from standard input: %w", err)
				}
				password = strings.TrimRight(line, "\r\n")
			} else {
				password, generated = rand.Text(), true
			}
			out := cmd.OutOrStdout()
			u, err := svc.identity.CreateUser(cmd.Context(), identity.NewUser{
				Email: email, FirstName: first, LastName: last, Password: password, SuperAdmin: true,
			})
			if errors.Is(err, fault.ErrConflict) {
				u, err = svc.identity.SetSuperAdmin(cmd.Context(), email, true)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "promoted %s (user %d) to super admin; their password is unchanged\n", u.Email, u.ID)
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "created super admin %s (user %d)\n", u.Email, u.ID)
			if generated {
				fmt.Fprintf(out, "password: %s\n(shown once; change it with a password reset)\n", password)
			}
			return nil
		}),
	}
	c.Flags().StringVar(&email, "email", "", "email address (required)")
	c.Flags().StringVar(&first, "first-name", "", "first name")
	c.Flags().StringVar(&last, "last-name", "", "last name")
	c.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	return c
}
