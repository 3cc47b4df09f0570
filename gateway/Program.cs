using Disputes.Gateway.Extensions;
using Disputes.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddTrustedForwardedHeaders();
builder.AddRateLimits();
builder.AddDisputesReverseProxy();
builder.AddGatewayGrpc();

var app = builder.Build();

app.UseGatewayPipeline();

app.MapDefaultEndpoints();
app.MapGatewayGrpc();
app.MapReverseProxy();

app.Run();
