namespace StocksRebuild.Offsite;

/// <summary>
/// --offsite=REMOTE:PATH, an rclone remote configured the rclone way (rclone.conf or RCLONE_CONFIG_NAME_*). A
/// connection string (":s3,secret_access_key=…:bucket") is refused: it would put the secret on rclone's command line.
/// </summary>
public sealed record OffsiteRemote(string Remote, string Folder)
{
    public string Spec => $"{Remote}:{Folder}";

    /// <summary>The remote path of one object in the folder: rclone's "remote:folder/name".</summary>
    public string PathOf(string name) => Folder.Length == 0 || Folder.EndsWith('/') ? $"{Spec}{name}" : $"{Spec}/{name}";

    public override string ToString() => Spec;

    public static OffsiteRemote? Parse(string? value)
    {
        if (value is null) return null;
        var colon = value.IndexOf(':');
        var head = colon < 0 ? value : value[..colon];
        // Not echoed: a connection string carries its secrets.
        if (value.StartsWith(':') || head.Contains(',') || head.Contains('='))
            throw new RunbookException("--offsite: an rclone connection string is refused: its parameters (keys, passwords) would be on the " +
                "command line, which every local user can read in ps. Configure the remote in rclone.conf or with RCLONE_CONFIG_<NAME>_* " +
                "variables and give --offsite=NAME:PATH. Nothing was run.");
        if (colon <= 0 || value[..colon].Contains('/') || value[..colon].Contains('\\'))
            throw new RunbookException($"--offsite={value} is not an rclone remote REMOTE:PATH (e.g. offsite:stocks-backups/prod); configure " +
                "the remote in rclone.conf or with RCLONE_CONFIG_<NAME>_* variables. Nothing was run.");
        return new OffsiteRemote(head, value[(colon + 1)..]);
    }
}
