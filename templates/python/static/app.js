// Static assets live in static/: the pipeline publishes them from the image to the CDN.
document.documentElement.dataset.ready = "true";
