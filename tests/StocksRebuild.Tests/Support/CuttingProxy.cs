using System.Net;
using System.Net.Sockets;

namespace StocksRebuild.Tests.Support;

/// <summary>
/// A TCP relay in front of a server that dies mid-upload: it forwards everything until one connection has sent more
/// than <c>cutAfter</c> bytes towards the server, then drops every connection and stops listening, as a server whose
/// host went down would look to its client.
/// </summary>
public sealed class CuttingProxy : IDisposable
{
    readonly TcpListener listener;
    readonly int target;
    readonly long cutAfter;
    readonly List<TcpClient> open = new();
    volatile bool cut;

    public int Port { get; }
    public bool HasCut => cut;

    public CuttingProxy(int target, long cutAfter)
    {
        (this.target, this.cutAfter) = (target, cutAfter);
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = Task.Run(Accept);
    }

    async Task Accept()
    {
        while (!cut)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            var server = new TcpClient();
            await server.ConnectAsync(IPAddress.Loopback, target);
            lock (open) { open.Add(client); open.Add(server); }
            _ = Relay(client.GetStream(), server.GetStream(), counts: true);
            _ = Relay(server.GetStream(), client.GetStream(), counts: false);
        }
    }

    async Task Relay(NetworkStream from, NetworkStream to, bool counts)
    {
        var buffer = new byte[16384];
        long sent = 0;
        try
        {
            int n;
            while (!cut && (n = await from.ReadAsync(buffer)) > 0)
            {
                sent += n;
                if (counts && sent > cutAfter) { Cut(); return; }
                await to.WriteAsync(buffer.AsMemory(0, n));
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException) { }
    }

    void Cut()
    {
        cut = true;
        listener.Stop();
        lock (open) foreach (var client in open) { client.Client.LingerState = new LingerOption(true, 0); client.Dispose(); }
    }

    public void Dispose()
    {
        if (!cut) Cut();
    }
}
