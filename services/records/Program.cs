using Disputes.EventBus.Hosting;
using Disputes.Records.Extensions;
using Disputes.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddDisputesService();
builder.AddRecordsServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapEventBusEndpoints();
app.MapRecordsApi();

app.Run();
