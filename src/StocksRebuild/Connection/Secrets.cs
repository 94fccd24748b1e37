namespace StocksRebuild.Connection;

/// <summary>Masks the password in any text before it is printed: tool output and driver messages included.</summary>
public static class Secrets
{
    public const string Placeholder = "********";

    public static string Mask(string text, ServerConnection server) =>
        string.IsNullOrEmpty(server.Password) ? text : text.Replace(server.Password, Placeholder, StringComparison.Ordinal);
}
